package org.tessera;

/**
 * The engine's settings, read from Java system properties ({@code -Dtessera.threads=4}); each is
 * declared here once, with its default and what it does.
 */
public enum EngineProperty {
    /** Most bytes of off-heap tensor memory; allocation past it fails with TesseraMemoryException. */
    MEMORY_LIMIT("tessera.memory.limit", "unlimited",
            "Most bytes of off-heap tensor memory (suffix k, m or g); past it an allocation first reclaims"
                    + " unreachable tensors, then fails with TesseraMemoryException naming the limit."),
    /** Growth of off-heap memory after which the engine asks for a garbage collection. */
    MEMORY_COLLECT("tessera.memory.collectEvery", "the heap's maximum size (at least 256m)",
            "When off-heap tensor memory has grown by this many bytes (suffix k, m or g) since the last"
                    + " collection, the engine asks the JVM for a garbage collection, so that unreachable tensors"
                    + " return their buffers even when the Java heap itself is idle; 0 turns this off."),
    /** Bytes of freed large buffers kept for reuse. */
    MEMORY_POOL("tessera.memory.pool", "512m",
            "Bytes of freed buffers of 1 MiB or more kept for reuse (fresh pages cost a page fault each on"
                    + " first write); 0 disables the pool."),
    /** Whether backward's intermediate buffers go back as soon as what reads them is computed. */
    MEMORY_RELEASE_EARLY("tessera.memory.releaseEarly", "true",
            "Buffers of the gradient graph's intermediate values (which no handle reaches) go back, to the reuse"
                    + " pool or the system, as soon as every op that reads them has been computed (or are overwritten"
                    + " by the elementwise op that reads them last), instead of when their scope closes or the garbage"
                    + " collector finds them; false keeps them until then."),
    /** CPU threads for kernels. */
    THREADS("tessera.threads", "available processors",
            "Threads for CPU kernels (elementwise, reductions, OpenBLAS); on Spark executors each task uses"
                    + " its own cores (spark.task.cpus) instead."),
    /** Whether CPU reductions use the JDK Vector API. */
    SIMD("tessera.simd", "true when the JVM has jdk.incubator.vector",
            "false makes CPU reductions (and relu) use plain Java loops even when the JVM was started with"
                    + " --add-modules=jdk.incubator.vector; without that module they always do. With the module, on"
                    + " Java 22 and later with native access enabled (--enable-native-access=ALL-UNNAMED, in the"
                    + " project's JVM flags), the vector loops read off-heap memory in place."),
    /** Whether Spark MLlib's BLAS is pointed at the engine's OpenBLAS. */
    BLAS_SHARE("tessera.blas.shareWithNetlib", "true",
            "When the engine loads its OpenBLAS it points netlib's BLAS (Spark MLlib's) at the same library and"
                    + " netlib's LAPACK at its Java code, unless the application set dev.ludovic.netlib.* itself:"
                    + " a second OpenBLAS (a system libblas.so.3) loaded beside it can crash the JVM. false leaves"
                    + " netlib alone."),
    /** Turns the CUDA backend off. */
    CUDA_DISABLE("tessera.cuda.disable", "false",
            "true turns the CUDA backend off: isCudaAvailable() answers false and nothing native is loaded."),
    /** Uses the engine's own GEMM kernel even when cuBLAS loads. */
    CUDA_NO_CUBLAS("tessera.cuda.noCublas", "false",
            "true makes CUDA matmul use Tessera's own tiled GEMM kernel even when libcublas.so.12 loads.");

    private final String key;
    private final String defaultText;
    private final String doc;

    EngineProperty(String key, String defaultText, String doc) {
        this.key = key;
        this.defaultText = defaultText;
        this.doc = doc;
    }

    /** The system property name, such as {@code tessera.threads}. */
    public String key() {
        return key;
    }

    /** The default, in words. */
    public String defaultText() {
        return defaultText;
    }

    /** What the setting does. */
    public String doc() {
        return doc;
    }

    /** The value set for this JVM, or null when it is not set. */
    public String value() {
        return System.getProperty(key);
    }

    /** Whether the property is set to {@code true}. */
    public boolean isTrue() {
        return Boolean.parseBoolean(value());
    }

    /** A Markdown table of every setting, for the README. */
    public static String markdownTable() {
        StringBuilder sb = new StringBuilder("| property | default | meaning |\n|---|---|---|\n");
        for (EngineProperty p : values()) {
            sb.append("| `").append(p.key).append("` | ").append(p.defaultText).append(" | ").append(p.doc).append(" |\n");
        }
        return sb.toString();
    }
}
