package org.tessera.spark.plan;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.tessera.Tensor;
import org.tessera.spark.block.Block;
import org.tessera.spark.block.BlockIndex;
import org.tessera.spark.block.Blocks;
import scala.Tuple2;

/** RDD building blocks of the runtime: zipping co-partitioned inputs, deterministic tree sums, re-chunking. */
public final class Rdds {
    private Rdds() {
    }

    /** Combines two partial blocks of the same index; must not depend on anything but its arguments. */
    @FunctionalInterface
    public interface Combine extends Serializable {
        /** {@code earlier ⊕ later}. */
        Tensor apply(Tensor earlier, Tensor later);
    }

    /** The partial results of one partition (or of a group of partitions), in a known order. */
    public static final class Partial implements Serializable {
        private static final long serialVersionUID = 1L;
        /** The first partition this partial covers: partials are combined in this order. */
        public int order;
        /** Keyed partial blocks. */
        public Block[] blocks;

        /** For serialization. */
        public Partial() {
        }

        Partial(int order, Block[] blocks) {
            this.order = order;
            this.blocks = blocks;
        }
    }

    /** A block of a target grid's block, and where it goes in that block. */
    public static final class Piece implements Serializable {
        private static final long serialVersionUID = 1L;
        /** Offset of the piece inside its target block. */
        public long[] offset;
        /** The piece's data (its index is the target block's). */
        public Block block;

        /** For serialization. */
        public Piece() {
        }

        Piece(long[] offset, Block block) {
            this.offset = offset;
            this.block = block;
        }
    }

    /** Partitions of several co-partitioned RDDs side by side, each as a list of its blocks. */
    static JavaRDD<List<List<Block>>> zip(JavaSparkContext sc, List<JavaRDD<Block>> rdds, int partitions) {
        if (rdds.isEmpty()) {
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < partitions; i++) {
                ids.add(i);
            }
            return sc.parallelize(ids, partitions).mapPartitions(it -> {
                List<List<Block>> l = new ArrayList<>();
                return Collections.singletonList(l).iterator();
            }, true);
        }
        JavaRDD<List<List<Block>>> acc = rdds.get(0).mapPartitions(it -> {
            List<List<Block>> l = new ArrayList<>();
            l.add(Blocks.sorted(it));
            return Collections.singletonList(l).iterator();
        }, true);
        for (int k = 1; k < rdds.size(); k++) {
            acc = acc.zipPartitions(rdds.get(k), (a, b) -> {
                List<List<Block>> l = a.next();
                l.add(Blocks.sorted(b));
                return Collections.singletonList(l).iterator();
            });
        }
        return acc;
    }

    /** Merges keyed partials: blocks with the same index are combined, earlier first. */
    static Block[] merge(Block[] earlier, Block[] later, Combine c) {
        Map<BlockIndex, Block> m = new TreeMap<>();
        for (Block b : earlier) {
            m.put(b.key(), b);
        }
        for (Block b : later) {
            Block prev = m.get(b.key());
            m.put(b.key(), prev == null ? b : new Block(b.index(), c.apply(prev.data(), b.data())));
        }
        return m.values().toArray(new Block[0]);
    }

    /** Sums (by {@code c}) blocks of the same index among {@code blocks}, in the order given. */
    static Block[] combineByIndex(List<Block> blocks, Combine c) {
        return merge(new Block[0], blocks.toArray(new Block[0]), c);
    }

    /**
     * Combines one keyed partial per partition into one on the driver, as a tree with {@code fanIn}
     * children per step; the order of combination is fixed, so results are bit-identical across runs.
     */
    static Block[] treeReduce(JavaRDD<Block[]> partials, Combine c, int fanIn, boolean failFirst) {
        JavaRDD<Partial> cur = partials.mapPartitionsWithIndex((p, it) -> {
            List<Partial> l = new ArrayList<>();
            Block[] acc = new Block[0];
            while (it.hasNext()) {
                acc = merge(acc, it.next(), c);
            }
            l.add(new Partial(p, acc));
            return l.iterator();
        }, true);
        int n = cur.getNumPartitions();
        while (n > fanIn) {
            int groups = (n + fanIn - 1) / fanIn;
            cur = cur.mapToPair(q -> new Tuple2<>(q.order / fanIn, q))
                    .partitionBy(new HashPartitioner(groups))
                    .mapPartitions(it -> {
                        TaskSupport.begin(failFirst);
                        return Collections.singletonList(fold(values(it), c)).iterator();
                    }, true);
            n = groups;
        }
        List<Partial> all = new ArrayList<>(cur.collect());
        return fold(all.iterator(), c).blocks;
    }

    private static Iterator<Partial> values(Iterator<Tuple2<Integer, Partial>> it) {
        List<Partial> l = new ArrayList<>();
        it.forEachRemaining(t -> l.add(t._2()));
        return l.iterator();
    }

    private static Partial fold(Iterator<Partial> it, Combine c) {
        List<Partial> l = new ArrayList<>();
        it.forEachRemaining(l::add);
        l.sort((a, b) -> Integer.compare(a.order, b.order));
        Block[] acc = new Block[0];
        int order = l.isEmpty() ? 0 : l.get(0).order;
        for (Partial q : l) {
            acc = merge(acc, q.blocks, c);
        }
        return new Partial(order, acc);
    }

    /**
     * Sums keyed partial blocks across partitions into a distributed result laid out by
     * {@code target} (a shuffle); blocks of the target with no partial are zeros.
     */
    static JavaRDD<Block> shuffleCombine(JavaRDD<Block[]> partials, Layout target, org.tessera.DType dtype,
                                         Combine c, boolean failFirst) {
        return org.apache.spark.api.java.JavaPairRDD.fromJavaRDD(partials.mapPartitionsWithIndex((p, it) -> {
            List<Tuple2<BlockIndex, Piece>> out = new ArrayList<>();
            while (it.hasNext()) {
                for (Block b : it.next()) {
                    // the order travels in the offset slot so that sums happen in partition order
                    out.add(new Tuple2<>(b.key(), new Piece(new long[] {p}, b)));
                }
            }
            return out.iterator();
        }, true))
                .partitionBy(new GridPartitioner(target.pdim(), target.partitions()))
                .mapPartitionsWithIndex((p, it) -> {
                    TaskSupport.begin(failFirst);
                    Map<BlockIndex, List<Piece>> by = new TreeMap<>();
                    it.forEachRemaining(t -> by.computeIfAbsent(t._1(), k -> new ArrayList<>()).add(t._2()));
                    List<Block> res = new ArrayList<>();
                    for (int[] idx : target.blocksOf(p)) {
                        List<Piece> ps = by.getOrDefault(new BlockIndex(idx), List.of());
                        ps.sort((a, b) -> Long.compare(a.offset[0], b.offset[0]));
                        Tensor acc = null;
                        for (Piece q : ps) {
                            acc = acc == null ? q.block.data() : c.apply(acc, q.block.data());
                        }
                        res.add(new Block(idx, acc != null ? acc : Blocks.zeros(target.grid().blockShape(idx), dtype)));
                    }
                    return res.iterator();
                }, true);
    }

    /** The same tensor cut by another layout (a shuffle; the identity when the layouts are equal). */
    static JavaRDD<Block> rechunk(JavaRDD<Block> rdd, Layout from, Layout to, org.tessera.DType dtype,
                                  boolean failFirst) {
        if (from.equals(to)) {
            return rdd;
        }
        return regroup(rdd, from.grid(), to, dtype, failFirst);
    }

    /** Sends the parts of every block (cut by {@code fromGrid}) to the blocks of {@code to}: a shuffle. */
    static JavaRDD<Block> regroup(JavaRDD<Block> rdd, org.tessera.spark.BlockGrid fromGrid, Layout to,
                                  org.tessera.DType dtype, boolean failFirst) {
        return rdd.flatMapToPair(b -> pieces(b, fromGrid, to).iterator())
                .partitionBy(new GridPartitioner(to.pdim(), to.partitions()))
                .mapPartitionsWithIndex((p, it) -> {
                    TaskSupport.begin(failFirst);
                    Map<BlockIndex, Tensor> built = new TreeMap<>();
                    for (int[] idx : to.blocksOf(p)) {
                        built.put(new BlockIndex(idx), Blocks.zeros(to.grid().blockShape(idx), dtype));
                    }
                    it.forEachRemaining(t -> Blocks.copyInto(t._2().block.data(), built.get(t._1()), t._2().offset));
                    List<Block> res = new ArrayList<>();
                    built.forEach((k, v) -> res.add(new Block(k.toArray(), v)));
                    return res.iterator();
                }, true);
    }

    /** The parts of one source block that fall in each target block. */
    private static List<Tuple2<BlockIndex, Piece>> pieces(Block b, org.tessera.spark.BlockGrid from, Layout to) {
        int r = from.rank();
        long[] start = from.blockStart(b.index());
        long[] size = from.blockShape(b.index());
        List<Tuple2<BlockIndex, Piece>> out = new ArrayList<>();
        for (long s : size) {
            if (s == 0) {
                return out;
            }
        }
        int[] lo = new int[r];
        int[] hi = new int[r];
        for (int d = 0; d < r; d++) {
            lo[d] = to.grid().chunkOf(d, start[d]);
            hi[d] = to.grid().chunkOf(d, start[d] + size[d] - 1);
        }
        int[] idx = lo.clone();
        while (true) {
            long[] pStart = new long[r];
            long[] pSize = new long[r];
            long[] offset = new long[r];
            boolean empty = false;
            for (int d = 0; d < r; d++) {
                long ts = to.grid().offset(d, idx[d]);
                long te = ts + to.grid().chunk(d, idx[d]);
                long s = Math.max(ts, start[d]);
                long e = Math.min(te, start[d] + size[d]);
                empty |= e <= s;
                pStart[d] = s - start[d];
                pSize[d] = e - s;
                offset[d] = s - ts;
            }
            if (!empty) {
                Tensor part = Blocks.region(b.data(), pStart, pSize).contiguous();
                out.add(new Tuple2<>(new BlockIndex(idx), new Piece(offset, new Block(idx, part))));
            }
            int d = r - 1;
            while (d >= 0 && ++idx[d] > hi[d]) {
                idx[d] = lo[d];
                d--;
            }
            if (d < 0) {
                return out;
            }
        }
    }
}
