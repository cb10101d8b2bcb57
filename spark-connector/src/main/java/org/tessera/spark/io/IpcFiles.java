package org.tessera.spark.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.spark.api.java.JavaRDD;
import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.Tensor;
import org.tessera.memory.Memory;
import org.tessera.memory.Storage;
import org.tessera.ops.Creation;
import org.tessera.spark.BlockGrid;
import org.tessera.spark.TesseraSession;
import org.tessera.spark.block.Block;
import org.tessera.spark.block.Blocks;
import org.tessera.spark.plan.Layout;
import org.tessera.spark.plan.SparkBackend;
import org.tessera.spark.plan.SparkValue;
import org.tessera.spark.plan.TaskSupport;
import org.tessera.arrow.TensorFiles;
import org.tessera.arrow.TesseraIOException;

/**
 * A distributed tensor of any dtype and rank 1 or more as a folder of Arrow IPC files, one per row
 * block, each a complete tensor file of {@code arrow-io} ({@link TensorFiles}: its rows as an
 * {@code arrow.fixed_shape_tensor} column, checksummed), so that any part can be loaded by
 * {@code TensorFiles.load} or read by any Arrow reader with its shape; plus
 * {@code _tessera.properties} with the whole shape, dtype and rows per file. Files are written
 * and read by tasks, in parallel; the folder must be visible to every executor (a local folder in
 * local mode, or a shared file system). Folders written by earlier versions (2-D float, one
 * column per tensor column) still load.
 *
 * <pre>
 * dir/_tessera.properties   format=2, shape=19,5, dtype=FLOAT64, rowChunks=6,6,6,1
 * dir/part-00000.arrow      rows [0, 6) as a [6, 5] tensor file
 * dir/part-00001.arrow      rows [6, 12) ...
 * </pre>
 */
public final class IpcFiles {
    private static final String META = "_tessera.properties";
    private static final String FORMAT = "2";

    private IpcFiles() {
    }

    /** See {@link TesseraSession#writeIpc}. */
    public static void write(TesseraSession ts, Tensor t, String dir) {
        if (t.dim() == 0) {
            throw new IllegalArgumentException("writeIpc: a 0-d tensor has no rows to split into files; save it with"
                    + " TensorFiles.save(tensor, path)");
        }
        Tensor s = t.device().equals(SparkBackend.DEVICE) ? t : ts.distribute(t);
        BlockGrid g0 = ts.grid(s);
        boolean rowsOnly = g0 != null && ts.partitionDim(s) == 0;
        for (int d = 1; rowsOnly && d < g0.rank(); d++) {
            rowsOnly = g0.numChunks(d) == 1;
        }
        if (!rowsOnly) {
            long[] block = s.shape().dims();
            block[0] = maxChunk(g0 == null ? BlockGrid.regular(s.shape(), s.shape().dims()) : g0);
            s = ts.rechunk(s, block);
        }
        BlockGrid g = ts.grid(s);
        try {
            Files.createDirectories(Paths.get(dir));
        } catch (IOException e) {
            throw new UncheckedIOException("writeIpc: cannot create " + dir, e);
        }
        String folder = dir;
        ts.blocks(s).foreachPartition(it -> {
            TaskSupport.begin(false);
            while (it.hasNext()) {
                Block b = it.next();
                TensorFiles.save(b.data(), Paths.get(folder, name(b.index(0))));
            }
        });
        Properties p = new Properties();
        p.setProperty("format", FORMAT);
        p.setProperty("shape", join(s.shape().dims()));
        p.setProperty("dtype", s.dtype().name());
        p.setProperty("rowChunks", join(g.chunks(0)));
        try (var out = Files.newOutputStream(Paths.get(dir, META))) {
            p.store(out, "Tessera tensor as Arrow IPC files");
        } catch (IOException e) {
            throw new UncheckedIOException("writeIpc: cannot write " + META + " in " + dir, e);
        }
    }

    private static String join(long[] values) {
        StringBuilder b = new StringBuilder();
        for (long v : values) {
            b.append(b.length() == 0 ? "" : ",").append(v);
        }
        return b.toString();
    }

    private static long[] longs(String csv, String key, String dir) {
        if (csv == null || csv.isBlank()) {
            throw new IllegalArgumentException("readIpc: " + META + " in " + dir + " has no " + key);
        }
        String[] parts = csv.split(",");
        long[] out = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Long.parseLong(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("readIpc: " + META + " in " + dir + ": " + key + " = " + csv
                        + " is not a list of whole numbers");
            }
        }
        return out;
    }

    private static long maxChunk(BlockGrid g) {
        long m = 1;
        for (long c : g.chunks(0)) {
            m = Math.max(m, c);
        }
        return m;
    }

    private static String name(int rowBlock) {
        return String.format("part-%05d.arrow", rowBlock);
    }

    /** See {@link TesseraSession#readIpc}. */
    public static Tensor read(TesseraSession ts, String dir) {
        Properties p = new Properties();
        try (var in = Files.newInputStream(Paths.get(dir, META))) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("readIpc: " + dir + " has no readable " + META
                    + " (was it written by writeIpc?)", e);
        }
        if (p.getProperty("format") == null) {
            return readLegacy(ts, dir, p);
        }
        if (!FORMAT.equals(p.getProperty("format"))) {
            throw new IllegalArgumentException("readIpc: " + dir + " has format " + p.getProperty("format")
                    + "; this version reads format " + FORMAT);
        }
        long[] shape = longs(p.getProperty("shape"), "shape", dir);
        DType dtype = DType.valueOf(p.getProperty("dtype"));
        long[] chunks = longs(p.getProperty("rowChunks"), "rowChunks", dir);
        long rows = 0;
        for (long c : chunks) {
            rows += c;
        }
        if (shape.length == 0 || rows != shape[0]) {
            throw new IllegalArgumentException("readIpc: " + META + " in " + dir + ": rowChunks " + join(chunks)
                    + " do not add up to the first dim of shape " + Shape.of(shape));
        }
        long[][] grid = new long[shape.length][];
        grid[0] = chunks;
        for (int d = 1; d < shape.length; d++) {
            grid[d] = new long[] {shape[d]};
        }
        BlockGrid g = BlockGrid.of(grid);
        return readParts(ts, dir, new Layout(g, 0), dtype, (path, i) -> {
            int[] idx = new int[g.rank()];
            idx[0] = i;
            Tensor part = TensorFiles.load(path);
            Shape expected = Shape.of(g.blockShape(idx));
            if (!part.shape().equals(expected) || part.dtype() != dtype) {
                throw new TesseraIOException(path.toString(), "readIpc: the file holds " + part.shape() + " "
                        + part.dtype() + " but " + META + " says " + expected + " " + dtype);
            }
            return new Block(idx, part);
        });
    }

    /** Reads one block from a part file (on an executor). */
    @FunctionalInterface
    private interface PartReader extends java.io.Serializable {
        Block read(Path path, int rowBlock) throws IOException;
    }

    /** A distributed tensor of {@code layout} whose row block {@code i} is read from part file {@code i} by a task. */
    private static Tensor readParts(TesseraSession ts, String dir, Layout layout, DType dtype, PartReader reader) {
        List<Integer> files = new ArrayList<>();
        for (int i = 0; i < layout.grid().numChunks(0); i++) {
            files.add(i);
        }
        String folder = dir;
        JavaRDD<Block> rdd = ts.sparkContext().parallelize(files, files.size()).mapPartitions(it -> {
            TaskSupport.begin(false);
            List<Block> out = new ArrayList<>();
            while (it.hasNext()) {
                int i = it.next();
                out.add(reader.read(Paths.get(folder, name(i)), i));
            }
            return out.iterator();
        }, true);
        return Tensor.of(SparkBackend.wrap(new SparkValue.Distributed(rdd, layout, dtype)));
    }

    /** A folder of the first layout: a 2-D float tensor, one Arrow column per tensor column. */
    private static Tensor readLegacy(TesseraSession ts, String dir, Properties p) {
        long cols = Long.parseLong(p.getProperty("cols"));
        DType dtype = DType.valueOf(p.getProperty("dtype"));
        long[] chunks = longs(p.getProperty("rowChunks"), "rowChunks", dir);
        Layout layout = new Layout(BlockGrid.of(chunks, new long[] {cols}), 0);
        return readParts(ts, dir, layout, dtype, (path, i) -> readFile(path, i, cols, dtype));
    }

    private static Block readFile(Path path, int index, long cols, DType dtype) throws IOException {
        List<double[]> batches = new ArrayList<>();
        long rows = 0;
        try (BufferAllocator alloc = new RootAllocator();
             FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
             ArrowFileReader reader = new ArrowFileReader(ch, alloc)) {
            while (reader.loadNextBatch()) {
                VectorSchemaRoot root = reader.getVectorSchemaRoot();
                int n = root.getRowCount();
                double[] values = new double[(int) (n * cols)];
                for (int c = 0; c < cols; c++) {
                    FieldVector v = root.getVector(c);
                    for (int r = 0; r < n; r++) {
                        values[(int) (r * cols + c)] = v instanceof Float8Vector f8 ? f8.get(r) : ((Float4Vector) v).get(r);
                    }
                }
                batches.add(values);
                rows += n;
            }
        }
        Shape s = Shape.of(rows, cols);
        Storage st = Storage.allocate(s.numel() * dtype.byteSize(), "IPC file " + path);
        long at = 0;
        for (double[] b : batches) {
            if (dtype == DType.FLOAT64) {
                Memory.putDoubles(st.address() + at * 8, b, 0, b.length);
            } else {
                float[] f = new float[b.length];
                for (int i = 0; i < f.length; i++) {
                    f[i] = (float) b[i];
                }
                Memory.putFloats(st.address() + at * 4, f, 0, f.length);
            }
            at += b.length;
        }
        return new Block(new int[] {index, 0}, Creation.fromStorage(st, s, dtype, 0, s.contiguousStrides()));
    }


}
