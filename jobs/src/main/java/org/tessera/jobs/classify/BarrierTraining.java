package org.tessera.jobs.classify;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.tessera.DType;
import org.tessera.Tensor;
import org.tessera.spark.BlockGrid;
import org.tessera.spark.TesseraSession;
import org.tessera.spark.block.Block;

/**
 * Training in one Spark barrier stage: each task keeps its partitions' rows as local tensors for the
 * whole run, and every step computes the loss and gradient of its own rows of the global mini-batch
 * with the local engine, then all tasks exchange their gradients and each adds them up in partition order and applies the same
 * update, so the parameters stay bit-identical in every task. The messages travel over
 * {@link SocketExchange} (found through one {@code allGather} at the start). Task 0 returns the parameters and the
 * per-epoch figures. A failed task makes Spark rerun the whole stage from the same start, which
 * gives the same result.
 *
 * <p>Message of one task per step (little-endian bytes):
 * <pre>
 *   double  Σ loss / batch of its rows
 *   long    its rows predicted right
 *   float32 or float64 × P   its gradient (the network's dtype)
 * </pre>
 */
final class BarrierTraining {
    /** Test hook: the global step (from 1) at which task 0's first attempt fails; unset: never. */
    static final String FAIL_PROPERTY = "tessera.classify.test.failAtStep";

    private BarrierTraining() {
    }

    /**
     * Trains on {@code data} ([n, d+1]: standardized features, then the class index), a persisted
     * distributed tensor, in at most {@code tasks} barrier tasks.
     */
    static Training.Result miniBatch(TesseraSession ts, Network net, Tensor data, Training.Settings s, int tasks) {
        JavaRDD<Block> blocks = ts.blocks(data);
        if (blocks.getNumPartitions() > tasks) {
            // a barrier stage cannot follow a coalesce: regroup the blocks by a shuffle, whole row chunks
            // (every column block of one) to a task, consecutive chunks together
            int chunks = ts.grid(data).numChunks(0);
            int t = tasks;
            blocks = blocks.mapToPair(b -> new scala.Tuple2<>((int) ((long) b.index(0) * t / chunks), b))
                    .partitionBy(new org.apache.spark.HashPartitioner(t)).values();
        }
        Integer fail = Integer.getInteger(FAIL_PROPERTY);
        Task task = new Task(net, s, ts.grid(data), fail == null ? -1 : fail);
        // The shuffle after the barrier stage makes it a map stage, which Spark reruns as a whole when a
        // task fails (a failed barrier result stage is not retried).
        List<byte[]> out = blocks.rdd().barrier()
                .mapPartitions(task, false, scala.reflect.ClassTag$.MODULE$.apply(byte[].class))
                .toJavaRDD().repartition(1).collect();
        if (out.size() != 1) {
            throw new IllegalStateException("barrier training: expected one result from task 0, got " + out.size());
        }
        try (var in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(out.get(0)))) {
            return (Training.Result) in.readObject();
        } catch (java.io.IOException | ClassNotFoundException e) {
            throw new IllegalStateException("barrier training: cannot read the result of task 0: " + e, e);
        }
    }

    /** The number of tasks the barrier stage of {@code data} would run with at most {@code tasks} slots. */
    static int tasks(TesseraSession ts, Tensor data, int slots) {
        return Math.min(ts.blocks(data).getNumPartitions(), slots);
    }

    /** The function each barrier task runs. */
    static final class Task extends scala.runtime.AbstractFunction1<scala.collection.Iterator<Block>,
            scala.collection.Iterator<byte[]>> implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private final Network net;
        private final Training.Settings settings;
        private final BlockGrid grid;
        private final int failAtStep;

        Task(Network net, Training.Settings settings, BlockGrid grid, int failAtStep) {
            this.net = net;
            this.settings = settings;
            this.grid = grid;
            this.failAtStep = failAtStep;
        }

        @Override
        public scala.collection.Iterator<byte[]> apply(scala.collection.Iterator<Block> it) {
            BarrierTaskContext ctx = BarrierTaskContext.get();
            // the engine's kernels (and OpenBLAS) in this task use the cores Spark gave the task, so
            // that tasks sharing an executor do not oversubscribe its cores
            org.tessera.backend.cpu.Parallel.setTaskThreads(Math.max(1, ctx.cpus()));
            Training.Result r;
            try (SocketExchange exchange = new SocketExchange(ctx)) {
                Rows rows = Rows.fromBlocks(scala.jdk.javaapi.CollectionConverters.asJava(it), grid, net.dtype());
                r = train(rows, ctx, exchange);
            } finally {
                org.tessera.backend.cpu.Parallel.setTaskThreads(null);
            }
            List<byte[]> out = ctx.partitionId() == 0 ? List.of(bytes(r)) : List.of();
            return scala.jdk.javaapi.CollectionConverters.asScala(out.iterator());
        }

        private Training.Result train(Rows rows, BarrierTaskContext ctx, SocketExchange exchange) {
            int n = (int) grid.shape().get(0);
            int[] local = new int[n];
            java.util.Arrays.fill(local, -1);
            for (int i = 0; i < rows.size(); i++) {
                local[(int) rows.global(i)] = i;
            }
            Training.State st = new Training.State(net, settings);
            int batches = Batches.count(n, settings.batchSize());
            int step = 0;
            for (int e = 0; e < settings.epochs(); e++) {
                int[] perm = Batches.permutation(n, settings.seed(), e);
                st.startEpoch();
                for (int b = 0; b < batches; b++) {
                    step++;
                    if (step == failAtStep && ctx.partitionId() == 0 && ctx.stageAttemptNumber() == 0
                            && ctx.attemptNumber() == 0) {
                        throw new IllegalStateException("injected failure at step " + step + " (" + FAIL_PROPERTY
                                + ")");
                    }
                    int size = Batches.size(n, b, settings.batchSize());
                    int[] idx = Batches.part(perm, b, settings.batchSize(), local);
                    Network.Part p = net.lossAndGradient(rows.gather(idx), rows.labels(idx), size, st.params);
                    byte[][] all = exchange.allGather(encode(p, net.dtype()));
                    double[] g = new double[net.size()];
                    double loss = 0;
                    long right = 0;
                    for (byte[] m : all) {
                        ByteBuffer bb = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN);
                        loss += bb.getDouble();
                        right += bb.getLong();
                        if (net.dtype() == DType.FLOAT32) {
                            for (int i = 0; i < g.length; i++) {
                                g[i] += bb.getFloat();
                            }
                        } else {
                            for (int i = 0; i < g.length; i++) {
                                g[i] += bb.getDouble();
                            }
                        }
                    }
                    st.apply(g, loss, right, size);
                }
                st.endEpoch(null);
            }
            return st.result("barrier");
        }
    }

    /** The result in Java serialization (records are outside what Kryo's field serializer reads). */
    private static byte[] bytes(Training.Result r) {
        var b = new java.io.ByteArrayOutputStream();
        try (var o = new java.io.ObjectOutputStream(b)) {
            o.writeObject(r);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return b.toByteArray();
    }

    /** One task's message: its loss, its right predictions and its gradient, as described above. */
    static byte[] encode(Network.Part p, DType dtype) {
        double[] g = p.gradient();
        int width = dtype == DType.FLOAT32 ? 4 : 8;
        ByteBuffer bb = ByteBuffer.allocate(16 + width * g.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.putDouble(p.loss()).putLong(p.correct());
        if (width == 4) {
            for (double v : g) {
                bb.putFloat((float) v);
            }
        } else {
            for (double v : g) {
                bb.putDouble(v);
            }
        }
        return bb.array();
    }
}
