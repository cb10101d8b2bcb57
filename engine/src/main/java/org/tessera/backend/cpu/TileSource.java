package org.tessera.backend.cpu;

import org.tessera.DType;

/**
 * Where a reduction reads its input: runs of elements by their linear index in the order the
 * reduction iterates, each run into a tile array. The input is either realized data (read
 * through a strided view, so a permuted or broadcast input needs no staging copy) or an
 * unrealized elementwise chain evaluated tile by tile, so that no buffer of its size exists.
 */
abstract class TileSource {
    private final DType dtype;

    private TileSource(DType dtype) {
        this.dtype = dtype;
    }

    /** The dtype of the elements read. */
    final DType dtype() {
        return dtype;
    }

    /** A reader for one thread, for runs of up to {@code maxLen} elements. */
    abstract Reader reader(int maxLen);

    /** Reads runs of the input; not shared between threads. */
    interface Reader {
        /**
         * Elements {@code [start, start + len)} of the iteration order, at {@code [0, len)} of the
         * returned array; the array may be reused by the next call.
         */
        Object read(long start, int len);

        /**
         * The memory address of element {@code start} when the input is realized and lies in
         * memory in iteration order (element {@code start + i} at that address plus {@code i}
         * elements), so that loops may read it in place; -1 otherwise.
         */
        default long address(long start) {
            return -1;
        }

        /** The float32 sum of elements {@code [start, start + len)}: {@code loops.sum} of {@link #read}. */
        default double sumFloats(long start, int len, ReduceLoops loops) {
            return loops.sum((float[]) read(start, len), len);
        }
    }

    /** Realized data seen through {@code view}. */
    static TileSource of(Strided view) {
        return new TileSource(view.dtype) {
            @Override
            Reader reader(int maxLen) {
                Object tile = Kind.of(view.dtype).newTile(maxLen);
                boolean dense = view.isContiguous();
                long es = view.dtype.byteSize();
                return new Reader() {
                    @Override
                    public Object read(long start, int len) {
                        view.load(start, len, tile);
                        return tile;
                    }

                    @Override
                    public long address(long start) {
                        return dense ? view.base + start * es : -1;
                    }
                };
            }
        };
    }

    /** The root of {@code program}, computed a tile at a time in the order {@code layout} iterates. */
    static TileSource of(FusedProgram program, FusedProgram.Layout layout) {
        return new TileSource(program.dtype()) {
            @Override
            Reader reader(int maxLen) {
                FusedProgram.Evaluator ev = layout.evaluator(maxLen);
                return new Reader() {
                    @Override
                    public Object read(long start, int len) {
                        return ev.evaluate(start, len);
                    }

                    @Override
                    public double sumFloats(long start, int len, ReduceLoops loops) {
                        return ev.sumFloats(start, len, loops);
                    }
                };
            }
        };
    }
}
