// The grammar benchmark corpus (bench/grammar-masks.mjs, bench/grammar-vs-llamacpp.mjs):
// JSON Schemas, llama.cpp's json.gbnf and c.gbnf (read from node-llama-cpp), a
// regex and a choice list, each with a text that the grammar accepts.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const gbnfDir = path.join(root, 'node_modules/node-llama-cpp/llama/grammars');

const action = {
  type: 'object', additionalProperties: false, required: ['action', 'x', 'y'],
  properties: {
    action: { enum: ['click', 'double_click', 'type', 'scroll', 'drag'] },
    x: { type: 'integer', minimum: 0, maximum: 3840 }, y: { type: 'integer', minimum: 0, maximum: 2160 },
    text: { type: 'string', maxLength: 200 }, reason: { type: 'string' },
  },
};
const catalog = {
  $defs: {
    item: {
      type: 'object', required: ['id', 'name', 'price'], additionalProperties: false,
      properties: {
        id: { type: 'string', format: 'uuid' }, name: { type: 'string', minLength: 1 },
        price: { type: 'number', exclusiveMinimum: 0 }, tags: { type: 'array', items: { type: 'string' }, maxItems: 8 },
        added: { type: 'string', format: 'date-time' }, contact: { type: 'string', format: 'email' },
        parts: { type: 'array', items: { $ref: '#/$defs/item' } },
      },
    },
  },
  type: 'object', required: ['store', 'items'],
  properties: { store: { type: 'string' }, open: { type: 'boolean' }, items: { type: 'array', items: { $ref: '#/$defs/item' } } },
};
const item = (i) => ({
  id: `1b4e28ba-2fa1-11d2-883f-0016d3cca4${(10 + i).toString()}`, name: `Widget number ${i} — deluxe édition`,
  price: 19.99 + i, tags: ['tools', 'garden', `batch-${i}`], added: `2024-0${1 + (i % 9)}-1${i % 10}T08:30:00Z`,
  contact: `sales${i}@example.com`, parts: i % 2 ? [] : [{ id: '6ba7b810-9dad-11d1-80b4-00c04fd430c8', name: 'bolt', price: 0.5 }],
});
const catalogText = JSON.stringify({ store: 'Hardware & Co. «Nord»', open: true, items: [0, 1, 2, 3, 4, 5].map(item) }, null, 2);
const cText =
  'int main(){int total = 0;for(int i = 0; i<100; i = i+1){total = total+i*2;if(total>50){print (total);}else{total = total-1;}}return total;}';

export const work = [
  { name: 'json_schema GUI action', json_schema: action, text: '{"action": "type", "x": 1024, "y": 768, "text": "hello world", "reason": "fill the search box"}' },
  { name: 'json_schema catalog ($ref, formats)', json_schema: catalog, text: catalogText },
  { name: 'json_schema {"type":"object"}', json_schema: { type: 'object' }, text: catalogText },
  { name: 'gbnf json.gbnf', gbnf: fs.readFileSync(path.join(gbnfDir, 'json.gbnf'), 'utf8'), text: JSON.stringify(JSON.parse(catalogText)) },
  { name: 'gbnf c.gbnf', gbnf: fs.readFileSync(path.join(gbnfDir, 'c.gbnf'), 'utf8'), text: cText },
  { name: 'regex phone/email list', regex: '(\\+?\\d{1,3}[ -]?\\(?\\d{3}\\)?[ -]?\\d{3}-\\d{4}|[a-z.]+@[a-z]+\\.(com|org|net))(, (\\+?\\d{1,3}[ -]?\\(?\\d{3}\\)?[ -]?\\d{3}-\\d{4}|[a-z.]+@[a-z]+\\.(com|org|net)))*',
    text: '+1 (555) 123-4567, jane.doe@example.org, 1 555 987-6543, info@qvl.net' },
  { name: 'choice (4 labels)', choice: ['positive', 'negative', 'neutral', 'mixed'], text: 'neutral' },
];
