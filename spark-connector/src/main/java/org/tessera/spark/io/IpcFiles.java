package org.tessera.spark.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
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

/**
 * A 2-D float tensor as a folder of Arrow IPC files: {@code part-NNNNN.arrow} per row block
 * (one float column per tensor column, one or more record batches), plus {@code _tessera.properties}
 * with the shape, dtype and rows per file. Files are written and read by tasks, in parallel; the
 * folder must be visible to every executor (a local folder in local mode, or a shared file system).
 */
public final class IpcFiles {
    private static final String META = "_tessera.properties";

    private IpcFiles() {
    }

    /** See {@link TesseraSession#writeIpc}. */
    public static void write(TesseraSession ts, Tensor t, String dir) {
        if (t.dim() != 2 || !(t.dtype() == DType.FLOAT64 || t.dtype() == DType.FLOAT32)) {
            throw new IllegalArgumentException("writeIpc: expected a 2-D float32 or float64 tensor, got " + t.shape()
                    + " " + t.dtype());
        }
        Tensor s = t.device().equals(SparkBackend.DEVICE) ? t : ts.distribute(t);
        BlockGrid g0 = ts.grid(s);
        if (g0 == null || ts.partitionDim(s) != 0 || g0.numChunks(1) != 1) {
            s = ts.rechunk(s, maxChunk(g0 == null ? BlockGrid.regular(s.shape(), s.shape().get(0), 1) : g0),
                    s.shape().get(1));
        }
        BlockGrid g = ts.grid(s);
        try {
            Files.createDirectories(Paths.get(dir));
        } catch (IOException e) {
            throw new UncheckedIOException("writeIpc: cannot create " + dir, e);
        }
        String folder = dir;
        long cols = s.shape().get(1);
        ts.blocks(s).foreachPartition(it -> {
            TaskSupport.begin(false);
            while (it.hasNext()) {
                Block b = it.next();
                writeFile(Paths.get(folder, name(b.index(0))), b.data(), cols);
            }
        });
        Properties p = new Properties();
        p.setProperty("rows", s.shape().get(0) + "");
        p.setProperty("cols", cols + "");
        p.setProperty("dtype", s.dtype().name());
        StringBuilder chunks = new StringBuilder();
        for (long c : g.chunks(0)) {
            chunks.append(chunks.length() == 0 ? "" : ",").append(c);
        }
        p.setProperty("rowChunks", chunks.toString());
        try (var out = Files.newOutputStream(Paths.get(dir, META))) {
            p.store(out, "Tessera tensor as Arrow IPC files");
        } catch (IOException e) {
            throw new UncheckedIOException("writeIpc: cannot write " + META + " in " + dir, e);
        }
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

    private static void writeFile(Path path, Tensor data, long cols) throws IOException {
        int rows = (int) data.shape().get(0);
        boolean f64 = data.dtype() == DType.FLOAT64;
        double[] d = f64 ? data.toDoubleArray() : null;
        float[] f = f64 ? null : data.toFloatArray();
        try (BufferAllocator alloc = new RootAllocator();
             FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.TRUNCATE_EXISTING)) {
            List<FieldVector> vectors = new ArrayList<>();
            for (int c = 0; c < cols; c++) {
                if (f64) {
                    Float8Vector v = new Float8Vector("c" + c, alloc);
                    v.allocateNew(rows);
                    for (int r = 0; r < rows; r++) {
                        v.set(r, d[(int) (r * cols + c)]);
                    }
                    v.setValueCount(rows);
                    vectors.add(v);
                } else {
                    Float4Vector v = new Float4Vector("c" + c, alloc);
                    v.allocateNew(rows);
                    for (int r = 0; r < rows; r++) {
                        v.set(r, f[(int) (r * cols + c)]);
                    }
                    v.setValueCount(rows);
                    vectors.add(v);
                }
            }
            try (VectorSchemaRoot root = new VectorSchemaRoot(vectors);
                 ArrowFileWriter w = new ArrowFileWriter(root, null, ch)) {
                w.start();
                w.writeBatch();
                w.end();
            }
        }
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
        long cols = Long.parseLong(p.getProperty("cols"));
        DType dtype = DType.valueOf(p.getProperty("dtype"));
        String[] parts = p.getProperty("rowChunks").split(",");
        long[] chunks = new long[parts.length];
        List<Integer> files = new ArrayList<>();
        for (int i = 0; i < parts.length; i++) {
            chunks[i] = Long.parseLong(parts[i].trim());
            files.add(i);
        }
        String folder = dir;
        JavaRDD<Block> rdd = ts.sparkContext().parallelize(files, files.size()).mapPartitions(it -> {
            TaskSupport.begin(false);
            List<Block> out = new ArrayList<>();
            while (it.hasNext()) {
                int i = it.next();
                out.add(readFile(Paths.get(folder, name(i)), i, cols, dtype));
            }
            return out.iterator();
        }, true);
        Layout layout = new Layout(BlockGrid.of(chunks, new long[] {cols}), 0);
        return Tensor.of(SparkBackend.wrap(new SparkValue.Distributed(rdd, layout, dtype)));
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
