package org.tessera.spark.plan;

import org.apache.spark.api.java.JavaRDD;
import org.tessera.DType;
import org.tessera.Shape;
import org.tessera.graph.Node;
import org.tessera.spark.block.Block;

/**
 * The data of a realized node on the {@code spark} device, held in {@link Node#remote()}: either
 * blocks on the cluster or a small value on the driver (as a full reduction's scalar).
 */
public sealed interface SparkValue {
    /** The tensor's shape. */
    Shape shape();

    /** The element type. */
    DType dtype();

    /** Blocks in an RDD laid out by {@code layout}; {@code rdd} is null only while explaining. */
    record Distributed(JavaRDD<Block> rdd, Layout layout, DType dtype) implements SparkValue {
        @Override
        public Shape shape() {
            return layout.shape();
        }
    }

    /** A realized CPU node on the driver; {@code value} is null only while explaining. */
    record Local(Node value, Shape shape, DType dtype) implements SparkValue {
        /** Wraps a realized CPU node. */
        public static Local of(Node n) {
            return new Local(n, n.shape(), n.dtype());
        }
    }
}
