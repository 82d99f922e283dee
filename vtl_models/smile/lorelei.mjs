// Render DiceBear "Lorelei" cartoon faces (design by Lisa Wischofsky, CC0 1.0; code MIT) for vtl_models/smile/artwork.py.
// stdin: a JSON list of faces {seed, smile, skin, hair, glasses, background}; stdout: raw RGBA bytes, `side` px each.
import { createAvatar } from '@dicebear/core';
import * as lorelei from '@dicebear/lorelei';
import { Resvg } from '@resvg/resvg-js';

const side = Number(process.argv[2]);
const mouths = lorelei.schema.properties.mouth.items.enum;
const happy = mouths.filter((m) => m.startsWith('happy'));
const sad = mouths.filter((m) => m.startsWith('sad'));
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
for (const face of JSON.parse(Buffer.concat(chunks).toString())) {
  const svg = createAvatar(lorelei, {
    seed: String(face.seed),
    mouth: face.smile ? happy : sad,
    skinColor: [face.skin],
    hairColor: [face.hair],
    glassesProbability: face.glasses ? 100 : 0,
    backgroundColor: [face.background],
  }).toString();
  process.stdout.write(new Resvg(svg, { fitTo: { mode: 'width', value: side } }).render().pixels);
}
