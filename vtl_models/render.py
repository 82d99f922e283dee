"""The one headless renderer every generator shares: moderngl over Mesa's software EGL, Blinn-Phong shading.

    renderer = Renderer(size=128)
    rgb, mask = renderer.render(vertices, faces, colors, Camera(azimuth=30, elevation=20), Light(), background)

World frame: y is up, the object sits near the origin; azimuth 0 puts the camera on +z looking at -z, positive
azimuth turns the camera counter-clockwise seen from above (towards +x). Rendering is deterministic (same pixels
on every run); the mask comes for free from an alpha channel cleared to 0.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

try:
    # triton (which torch imports lazily, e.g. on the first optimiser step) bundles its own LLVM and segfaults when
    # that loads after Mesa's llvmpipe; loading it first makes rendering and training in one process safe.
    import triton  # noqa: F401
except ImportError:
    pass

_VERTEX_SHADER = """
#version 330
uniform mat4 mvp;
in vec3 in_position;
in vec3 in_normal;
in vec3 in_color;
out vec3 v_position;
out vec3 v_normal;
out vec3 v_color;
void main() {
    v_position = in_position;
    v_normal = in_normal;
    v_color = in_color;
    gl_Position = mvp * vec4(in_position, 1.0);
}
"""

_FRAGMENT_SHADER = """
#version 330
uniform vec3 light_dir;
uniform vec3 eye;
uniform vec3 light_color;
uniform float ambient;
uniform float specular;
uniform float shininess;
in vec3 v_position;
in vec3 v_normal;
in vec3 v_color;
out vec4 frag;
void main() {
    vec3 n = normalize(v_normal);
    vec3 v = normalize(eye - v_position);
    if (dot(n, v) < 0.0) n = -n;  // two-sided lighting: open or inverted meshes still shade sensibly
    vec3 l = normalize(light_dir);
    vec3 h = normalize(l + v);
    float diffuse = max(dot(n, l), 0.0);
    float spec = diffuse > 0.0 ? pow(max(dot(n, h), 0.0), shininess) : 0.0;
    vec3 rgb = v_color * (ambient + (1.0 - ambient) * diffuse * light_color) + specular * spec * light_color;
    frag = vec4(clamp(rgb, 0.0, 1.0), 1.0);
}
"""


@dataclass(frozen=True)
class Camera:
    """A perspective camera orbiting `target`; angles in degrees."""

    azimuth: float = 0.0
    elevation: float = 20.0
    distance: float = 2.2
    fov: float = 40.0  # vertical field of view
    target: tuple[float, float, float] = (0.0, 0.0, 0.0)
    near: float = 0.05
    far: float = 20.0

    @property
    def eye(self) -> np.ndarray:
        """Camera position in world coordinates."""
        az, el = np.radians(self.azimuth), np.radians(self.elevation)
        offset = self.distance * np.array([np.cos(el) * np.sin(az), np.sin(el), np.cos(el) * np.cos(az)])
        return np.asarray(self.target, dtype=np.float64) + offset

    def view_matrix(self) -> np.ndarray:
        """4x4 world -> camera (OpenGL convention: camera looks down -z, y up)."""
        eye, target = self.eye, np.asarray(self.target, dtype=np.float64)
        forward = target - eye
        forward /= np.linalg.norm(forward)
        up = np.array([0.0, 1.0, 0.0])
        if abs(np.dot(forward, up)) > 0.999:  # looking straight down/up: any other up vector will do
            up = np.array([0.0, 0.0, -1.0])
        right = np.cross(forward, up)
        right /= np.linalg.norm(right)
        true_up = np.cross(right, forward)
        view = np.eye(4)
        view[0, :3], view[1, :3], view[2, :3] = right, true_up, -forward
        view[:3, 3] = -view[:3, :3] @ eye
        return view

    def projection_matrix(self, aspect: float = 1.0) -> np.ndarray:
        """4x4 OpenGL perspective projection."""
        f = 1.0 / np.tan(np.radians(self.fov) / 2.0)
        n, fa = self.near, self.far
        proj = np.zeros((4, 4))
        proj[0, 0], proj[1, 1] = f / aspect, f
        proj[2, 2], proj[2, 3] = (fa + n) / (n - fa), 2 * fa * n / (n - fa)
        proj[3, 2] = -1.0
        return proj


@dataclass(frozen=True)
class Light:
    """A directional light given in camera-relative terms so that it follows the viewer."""

    azimuth: float = 30.0  # degrees, relative to the camera direction
    elevation: float = 40.0
    color: tuple[float, float, float] = (1.0, 1.0, 1.0)
    ambient: float = 0.3
    specular: float = 0.25
    shininess: float = 24.0

    def direction(self, camera: Camera) -> np.ndarray:
        """World-space direction towards the light."""
        relative = Camera(self.azimuth + camera.azimuth, np.clip(self.elevation + camera.elevation, -89, 89), 1.0)
        return relative.eye


def flat_attributes(
    vertices: np.ndarray, faces: np.ndarray, colors: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unshared triangle corners, per-face normals and per-corner colours (faceted look, exact part colours).

    `colors` may be per vertex (V, 3), per face (F, 3) or one RGB; floats in [0, 1] or integers in [0, 255].
    """
    vertices = np.asarray(vertices, dtype=np.float32)
    faces = np.asarray(faces, dtype=np.int64)
    corners = vertices[faces]  # (F, 3 corners, 3)
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    normals /= np.linalg.norm(normals, axis=1, keepdims=True) + 1e-12
    normals = np.repeat(normals[:, None], 3, axis=1)
    if colors is None:
        colors = np.full(3, 0.7, np.float32)
    colors = np.asarray(colors)
    integer = np.issubdtype(colors.dtype, np.integer)
    colors = colors.astype(np.float32) / 255.0 if integer else colors.astype(np.float32)
    colors = colors[..., :3]
    if colors.ndim == 1:
        corner_colors = np.broadcast_to(colors, corners.shape)
    elif len(colors) == len(faces) and len(colors) != len(vertices):
        corner_colors = np.repeat(colors[:, None], 3, axis=1)
    else:
        corner_colors = colors[faces]
    return corners.reshape(-1, 3), normals.reshape(-1, 3), np.ascontiguousarray(corner_colors).reshape(-1, 3)


class Renderer:
    """An offscreen EGL context with one framebuffer of `size` pixels; reuse it for many renders."""

    def __init__(self, size: int | tuple[int, int] = 128, samples: int = 0):
        import moderngl

        self.width, self.height = (size, size) if isinstance(size, int) else size
        # One context per Renderer: EGL contexts are bound to the thread that made them, so callers in worker
        # threads/processes make their own.
        self.ctx = moderngl.create_standalone_context(backend="egl")
        self.program = self.ctx.program(vertex_shader=_VERTEX_SHADER, fragment_shader=_FRAGMENT_SHADER)
        size_wh = (self.width, self.height)
        if samples:  # multisampled target resolved into a plain one: smoother edges at ~2x the cost
            self.fbo = self.ctx.framebuffer(
                self.ctx.renderbuffer(size_wh, 4, samples=samples),
                self.ctx.depth_renderbuffer(size_wh, samples=samples),
            )
            self.resolve = self.ctx.simple_framebuffer(size_wh, components=4)
        else:
            self.fbo = self.ctx.simple_framebuffer(size_wh, components=4)
            self.resolve = None
        self._lock = threading.Lock()

    def render(
        self,
        vertices: np.ndarray,
        faces: np.ndarray,
        colors: np.ndarray | None = None,
        camera: Camera | None = None,
        light: Light | None = None,
        background: np.ndarray | tuple[int, int, int] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Render a triangle mesh.

        Args:
            vertices: (V, 3) float positions in world units.
            faces: (F, 3) vertex indices.
            colors: per-vertex (V, 3), per-face (F, 3) or a single RGB, floats in [0, 1] or uint8.
            camera, light: viewpoint and lighting (defaults: `Camera()`, `Light()`).
            background: (H, W, 3) uint8 image, one RGB colour, or None for black.

        Returns:
            rgb: (H, W, 3) uint8, the object composited over the background, rows top-down.
            mask: (H, W) float32 coverage in [0, 1] (binary unless multisampled).
        """
        camera, light = camera or Camera(), light or Light()
        positions, normals, corner_colors = flat_attributes(vertices, faces, colors)
        data = np.concatenate([positions, normals, corner_colors], axis=1).astype("f4")
        mvp = camera.projection_matrix(self.width / self.height) @ camera.view_matrix()
        with self._lock, self.ctx:  # made current: a later Renderer in this process made its own context current
            prog = self.program
            prog["mvp"].write(mvp.T.astype("f4").tobytes())  # GLSL matrices are column-major
            prog["light_dir"].value = tuple(light.direction(camera))
            prog["eye"].value = tuple(camera.eye)
            prog["light_color"].value = tuple(light.color)
            prog["ambient"].value = light.ambient
            prog["specular"].value = light.specular
            prog["shininess"].value = light.shininess
            vbo = self.ctx.buffer(data.tobytes())
            vao = self.ctx.vertex_array(prog, [(vbo, "3f 3f 3f", "in_position", "in_normal", "in_color")])
            self.fbo.use()
            self.ctx.enable(self.ctx.DEPTH_TEST)
            self.fbo.clear(0.0, 0.0, 0.0, 0.0, depth=1.0)
            vao.render()
            if self.resolve is not None:
                self.ctx.copy_framebuffer(self.resolve, self.fbo)
            raw = (self.resolve or self.fbo).read(components=4)
            vao.release()
            vbo.release()
        rgba = np.frombuffer(raw, dtype=np.uint8).reshape(self.height, self.width, 4)[::-1]  # GL rows are bottom-up
        alpha = rgba[..., 3:4].astype(np.float32) / 255.0
        back = _background(background, self.height, self.width).astype(np.float32)
        rgb = rgba[..., :3].astype(np.float32) + back * (1.0 - alpha)  # colour is premultiplied by coverage
        return np.clip(rgb + 0.5, 0, 255).astype(np.uint8), alpha[..., 0].copy()

    def release(self) -> None:
        """Free the GL context."""
        self.ctx.release()


def _background(background, height: int, width: int) -> np.ndarray:
    if background is None:
        return np.zeros((height, width, 3), np.uint8)
    background = np.asarray(background)
    if background.ndim == 1:
        return np.broadcast_to(background.astype(np.uint8), (height, width, 3))
    if background.shape[:2] != (height, width):
        raise ValueError(f"background is {background.shape[:2]}, the renderer {(height, width)}")
    return background[..., :3]
