// Cross-implementation check for arrow.fixed_shape_tensor and Tessera tensor files, with Apache Arrow JS.
//
//   npm install                                   (in this folder)
//   node interop.mjs write ../resources/interop/js-tensors.arrow ../resources/interop/js-column.arrows
//   node interop.mjs write-tensor ../resources/interop/js-tensor-column.arrow ../resources/interop/js-tensor-column.arrows
//   node interop.mjs read  FILE...                (prints each column: type, extension metadata, values)
//   node interop.mjs check FILE...                (reads Tessera tensor files: prints the shape each one describes)
//
// The fixture holds three columns, 3 rows each:
//   id  Int32                          [0, 1, 2]
//   img arrow.fixed_shape_tensor<Float32>{"shape":[2,3],"dim_names":["H","W"]}, row r element k = r * 10 + k
//   p   arrow.fixed_shape_tensor<Int64>{"shape":[2,3,4],"permutation":[2,0,1]}, physical element k of row r = r * 100 + k
// js-column.arrows is a stream with one Float64 column [0.5, 1.5, ..., 4.5] and no Tessera metadata.
// js-tensor-column.arrow (file format) and .arrows (stream format) hold one column, 5 rows:
//   t   arrow.fixed_shape_tensor<Float32>{"shape":[2,3]} over FixedSizeList<Float32>[6], element k = k * 1.5 - 4
// (Arrow JS's file writer puts the schema only in the footer, not as a message after the magic.)
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

function writeTensorColumn(filePath, streamPath) {
  const rows = 5;
  const values = new Float32Array(rows * 6).map((_, k) => k * 1.5 - 4);
  const col = tensorColumn('t', new Float32(), [2, 3], {}, values);
  const schema = new Schema([col.field]);
  const struct = makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children: [col.data] });
  const table = new Table(schema, [new RecordBatch(schema, struct)]);
  writeFileSync(filePath, tableToIPC(table, 'file'));
  writeFileSync(streamPath, tableToIPC(table, 'stream'));
}

// The shape a reader of the file sees: rows x the extension's shape for an arrow.fixed_shape_tensor column,
// rows for a flat one; and the shape in Tessera's metadata, which must agree.
function check(path) {
  const table = tableFromIPC(readFileSync(path));
  if (!table.schema.metadata.has('tessera.shape')) {
    console.log(JSON.stringify({ file: path, skipped: 'no tessera.shape in the schema: not a tensor file' }));
    return;
  }
  const f = table.schema.fields[0];
  const col = table.getChild(f.name);
  let shape = [table.numRows];
  let flat = [];
  if (f.metadata.get(EXT_NAME) === 'arrow.fixed_shape_tensor') {
    shape = [table.numRows, ...JSON.parse(f.metadata.get(EXT_META)).shape];
    for (let r = 0; r < col.length; r++) flat.push(...Array.from(col.get(r).toArray(), Number));
  } else {
    for (let r = 0; r < col.length; r++) flat.push(Number(col.get(r)));
  }
  const saved = JSON.parse(table.schema.metadata.get('tessera.shape'));
  console.log(JSON.stringify({ file: path, type: String(f.type), extension: f.metadata.get(EXT_NAME) ?? null,
    shape, tesseraShape: saved, agree: JSON.stringify(saved) === JSON.stringify(saved.length === 0 && shape[0] === 1 ? [] : shape), firstValues: flat.slice(0, 8) }));
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
} else if (cmd === 'write-tensor' && args.length === 2) {
  writeTensorColumn(args[0], args[1]);
} else if (cmd === 'read' && args.length > 0) {
  args.forEach(read);
} else if (cmd === 'check' && args.length > 0) {
  args.forEach(check);
} else {
  console.error('usage: node interop.mjs write TABLE.arrow COLUMN.arrows | write-tensor FILE.arrow FILE.arrows'
    + ' | read FILE... | check FILE...');
  process.exit(2);
}
