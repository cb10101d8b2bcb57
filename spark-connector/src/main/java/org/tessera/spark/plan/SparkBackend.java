package org.tessera.spark.plan;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.tessera.Device;
import org.tessera.Tensor;
import org.tessera.backend.Backend;
import org.tessera.graph.Graph;
import org.tessera.graph.Node;
import org.tessera.graph.Op;

/**
 * The engine backend of the {@code spark} device: realizing a node lowers the unrealized graph
 * below it to RDDs (see {@link Lowerer}); reading it on the host collects its blocks.
 *
 * <p>It accepts CPU inputs, which is how a local parameter meets distributed data: local
 * operands are broadcast to the tasks that need them.
 */
public final class SparkBackend implements Backend {
    /** The device of distributed tensors. */
    public static final Device DEVICE = Device.of("spark", -1);

    private final SparkSession spark;
    private final JavaSparkContext sc;

    /** A backend running on {@code spark}. */
    public SparkBackend(SparkSession spark) {
        this.spark = spark;
        this.sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    /** The Spark session the backend runs on. */
    public SparkSession spark() {
        return spark;
    }

    @Override
    public String deviceType() {
        return DEVICE.type();
    }

    @Override
    public boolean isAvailable(Device device) {
        return device.type().equals(DEVICE.type()) && !sc.sc().isStopped();
    }

    @Override
    public String unavailableReason(Device device) {
        return isAvailable(device) ? null : "the Spark session of the spark device is stopped; create a TesseraSession";
    }

    @Override
    public boolean acceptsHostInputs() {
        return true;
    }

    /** A new lowerer with the session's current settings. */
    public Lowerer lowerer(boolean explainOnly) {
        return new Lowerer(sc, Settings.read(spark), explainOnly);
    }

    @Override
    public void realize(Node node) {
        if (!node.isRealized()) {
            lowerer(false).lower(node);
        }
    }

    /**
     * A distributed tensor prints its values only once they are computed (held on the driver, or
     * cached by Spark in every partition) and small enough to collect; otherwise its shape, dtype,
     * device and block grid, found by planning without running a job.
     */
    @Override
    public String pendingSummary(Node node) {
        SparkValue v = node.remote() instanceof SparkValue sv ? sv : null;
        if (v instanceof SparkValue.Local) {
            return null;
        }
        Settings settings = Settings.read(spark);
        if (v instanceof SparkValue.Distributed d && isCached(d)
                && d.layout().bytes(d.dtype()) <= settings.collectMaxBytes()) {
            return null;
        }
        SparkValue planned = v != null ? v : lowerer(true).lower(node);
        String where = planned instanceof SparkValue.Distributed d
                ? "blocks=" + d.layout().grid() + " by dim " + d.layout().pdim() + " over "
                        + d.layout().partitions() + " partition(s)"
                : "a local result of a distributed computation";
        return "shape=" + node.shape() + ", dtype=" + node.dtype() + ", device=" + DEVICE.type() + ", " + where
                + (v == null ? "" : ", not cached");
    }

    /** Whether Spark holds every partition of the value's blocks in its cache (no job to ask). */
    private boolean isCached(SparkValue.Distributed d) {
        if (d.rdd() == null || d.rdd().getStorageLevel().equals(org.apache.spark.storage.StorageLevel.NONE())) {
            return false;
        }
        int id = d.rdd().id();
        for (org.apache.spark.storage.RDDInfo info : sc.sc().getRDDStorageInfo()) {
            if (info.id() == id) {
                return info.numCachedPartitions() == info.numPartitions();
            }
        }
        return false;
    }

    @Override
    public Node toHost(Node node) {
        realize(node);
        SparkValue v = (SparkValue) node.remote();
        if (v instanceof SparkValue.Local l) {
            return l.value();
        }
        return Lowerer.collect((SparkValue.Distributed) v, Settings.read(spark), "collect");
    }

    @Override
    public Node fromHost(Node hostNode, Device device) {
        Tensor t = Tensor.of(hostNode);
        if (t.dim() == 0) {
            Node n = Graph.nodeOn(Op.CONSTANT, t.shape(), t.dtype(), DEVICE, null);
            n.setRemote(SparkValue.Local.of(hostNode));
            return n;
        }
        Settings s = Settings.read(spark);
        Layout layout = Lowerer.defaultLayout(t.shape(), t.dtype(), s.blockTargetBytes(), sc.defaultParallelism());
        return wrap(new SparkValue.Distributed(Lowerer.distribute(sc, t, layout), layout, t.dtype()));
    }

    /** A new realized leaf node on the spark device holding {@code v}. */
    public static Node wrap(SparkValue v) {
        Node n = Graph.nodeOn(Op.CONSTANT, v.shape(), v.dtype(), DEVICE, null);
        n.setRemote(v);
        return n;
    }
}
