// Cross-implementation check for arrow.fixed_shape_tensor and Tessera tensor files, with Apache Arrow JS.
//
//   npm install                                   (in this folder)
//   node interop.mjs write ../resources/interop/js-tensors.arrow ../resources/interop/js-column.arrows
//   node interop.mjs read  FILE...                (prints each column: type, extension metadata, values)
//
// The fixture holds three columns, 3 rows each:
//   id  Int32                          [0, 1, 2]
//   img arrow.fixed_shape_tensor<Float32>{"shape":[2,3],"dim_names":["H","W"]}, row r element k = r * 10 + k
//   p   arrow.fixed_shape_tensor<Int64>{"shape":[2,3,4],"permutation":[2,0,1]}, physical element k of row r = r * 100 + k
// js-column.arrows is a stream with one Float64 column [0.5, 1.5, ..., 4.5] and no Tessera metadata.
import { readFileSync, writeFileSync } from 'node:fs';
import {
  Field, FixedSizeList, Float32, Float64, Int32, Int64, Schema, Table, makeData, makeVector,
  tableFromIPC, tableToIPC, RecordBatch, Struct,
} from 'apache-arrow';

const EXT_NAME = 'ARROW:extension:name';
const EXT_META = 'ARROW:extension:metadata';

function tensorColumn(name, valueType, shape, extra, values) {
  const listSize = shape.reduce((a, b) => a * b, 1);
  const child = new Field('item', valueType, true);
  const type = new FixedSizeList(listSize, child);
  const metadata = new Map([[EXT_NAME, 'arrow.fixed_shape_tensor'],
    [EXT_META, JSON.stringify({ shape, ...extra })]]);
  const rows = values.length / listSize;
  const childData = makeData({ type: valueType, length: values.length, data: values });
  const data = makeData({ type, length: rows, nullCount: 0, child: childData });
  return { field: new Field(name, type, true, metadata), data };
}

function write(tablePath, streamPath) {
  const rows = 3;
  const img = new Float32Array(rows * 6).map((_, i) => Math.floor(i / 6) * 10 + (i % 6));
  const p = new BigInt64Array(rows * 24).map((_, i) => BigInt(Math.floor(i / 24) * 100 + (i % 24)));
  const id = { field: new Field('id', new Int32(), true),
    data: makeData({ type: new Int32(), length: rows, data: Int32Array.from([0, 1, 2]) }) };
  const cols = [id,
    tensorColumn('img', new Float32(), [2, 3], { dim_names: ['H', 'W'] }, img),
    tensorColumn('p', new Int64(), [2, 3, 4], { permutation: [2, 0, 1] }, p)];
  const schema = new Schema(cols.map((c) => c.field));
  const struct = makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0,
    children: cols.map((c) => c.data) });
  const table = new Table(schema, [new RecordBatch(schema, struct)]);
  writeFileSync(tablePath, tableToIPC(table, 'file'));

  const values = Float64Array.from([0.5, 1.5, 2.5, 3.5, 4.5]);
  const single = new Table({ x: makeVector(values) });
  writeFileSync(streamPath, tableToIPC(single, 'stream'));
}

function read(path) {
  const table = tableFromIPC(readFileSync(path));
  const out = { file: path, rows: table.numRows, schemaMetadata: Object.fromEntries(table.schema.metadata),
    columns: [] };
  for (const f of table.schema.fields) {
    const col = table.getChild(f.name);
    const values = [];
    for (let r = 0; r < Math.min(col.length, 4); r++) {
      const v = col.get(r);
      values.push(v && typeof v === 'object' && v.toArray ? Array.from(v.toArray(), Number) : Number(v));
    }
    out.columns.push({ name: f.name, type: String(f.type), extension: f.metadata.get(EXT_NAME) ?? null,
      extensionMetadata: f.metadata.get(EXT_META) ?? null, firstValues: values });
  }
  console.log(JSON.stringify(out));
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'write' && args.length === 2) {
  write(args[0], args[1]);
} else if (cmd === 'read' && args.length > 0) {
  args.forEach(read);
} else {
  console.error('usage: node interop.mjs write TABLE.arrow COLUMN.arrows | read FILE...');
  process.exit(2);
}
