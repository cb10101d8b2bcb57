package org.tessera.jobs;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.zip.GZIPOutputStream;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;
import org.tessera.jobs.cli.JobException;
import org.tessera.jobs.cli.Outputs;
import org.tessera.jobs.data.Idx;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Converts the Fashion-MNIST IDX files (as the Debian package {@code dataset-fashion-mnist}
 * installs them) into {@code train} and {@code test} tables that the jobs read: Parquet or CSV,
 * with a {@code label} column and either one integer column per pixel ({@code p0 … p783},
 * 0–255) or one {@code pixels} column holding an {@code array<float>} of 784 values.
 */
@Command(name = "fashion-mnist", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Convert Fashion-MNIST's IDX files to Parquet or CSV tables (train and test).",
            "Columns: label, then p0..p783 (pixel values 0-255), or one array column 'pixels'."})
public final class FashionMnistJob implements Callable<Integer> {
    /** The class names, by label index, as Fashion-MNIST defines them. */
    public static final String[] CLASS_NAMES = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

    @Option(names = "--source", paramLabel = "DIR", defaultValue = "/usr/share/datasets/fashion-mnist",
            description = "folder with train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz), t10k-…"
                    + " (default: ${DEFAULT-VALUE}, from the Debian package dataset-fashion-mnist)")
    Path source;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "data/fashion-mnist",
            description = "output folder (default: ${DEFAULT-VALUE}); writes train.<ext> and test.<ext>")
    Path out;

    @Option(names = "--format", paramLabel = "parquet|csv|csv.gz", defaultValue = "parquet",
            description = "output format (default: ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--layout", paramLabel = "columns|array", defaultValue = "columns",
            description = "one integer column per pixel, or one array<float> column 'pixels' (Parquet only)"
                    + " (default: ${DEFAULT-VALUE})")
    String layout;

    @Option(names = "--labels", paramLabel = "index|name", defaultValue = "index",
            description = "the label as the class index 0-9 or as the class name, e.g. 'Ankle boot'"
                    + " (default: ${DEFAULT-VALUE})")
    String labels;

    @Option(names = "--train-rows", paramLabel = "N", description = "keep the first N training images"
            + " (default: all 60,000)")
    Integer trainRows;

    @Option(names = "--test-rows", paramLabel = "N", description = "keep the first N test images"
            + " (default: all 10,000)")
    Integer testRows;

    @Option(names = "--repeat", paramLabel = "K", defaultValue = "1",
            description = "write the training rows K times (for throughput tests), into K Parquet files"
                    + " in train.parquet/ (default: ${DEFAULT-VALUE})")
    int repeat;

    @Option(names = "--row-group-rows", paramLabel = "N", defaultValue = "10000",
            description = "rows per Parquet row group (default: ${DEFAULT-VALUE}): Spark reads a file's row groups"
                    + " in parallel, but one row group in one task, so the 60,000 training rows in one row group"
                    + " would be read, and then trained on, by one task")
    int rowGroupRows;

    @Override
    public Integer call() throws IOException {
        String fmt = format.toLowerCase(Locale.ROOT);
        if (!fmt.equals("parquet") && !fmt.equals("csv") && !fmt.equals("csv.gz")) {
            throw new JobException("--format " + format + ": expected parquet, csv or csv.gz");
        }
        if (!layout.equals("columns") && !layout.equals("array")) {
            throw new JobException("--layout " + layout + ": expected columns or array");
        }
        if (layout.equals("array") && !fmt.equals("parquet")) {
            throw new JobException("--layout array needs --format parquet (CSV has no array columns)");
        }
        if (!labels.equals("index") && !labels.equals("name")) {
            throw new JobException("--labels " + labels + ": expected index or name");
        }
        if (rowGroupRows < 1) {
            throw new JobException("--row-group-rows " + rowGroupRows + ": must be at least 1");
        }
        if (repeat < 1) {
            throw new JobException("--repeat " + repeat + ": must be at least 1");
        }
        if (repeat > 1 && !fmt.equals("parquet")) {
            throw new JobException("--repeat needs --format parquet");
        }
        Outputs.requireWritable(out);
        Files.createDirectories(out);
        long t0 = System.nanoTime();
        for (String split : new String[] {"train", "test"}) {
            String prefix = split.equals("train") ? "train" : "t10k";
            Idx images = Idx.read(find(prefix + "-images-idx3-ubyte"));
            Idx lab = Idx.read(find(prefix + "-labels-idx1-ubyte"));
            if (images.shape().length != 3 || lab.shape().length != 1) {
                throw new JobException(split + ": expected images of rank 3 and labels of rank 1, got "
                        + java.util.Arrays.toString(images.shape()) + " and " + java.util.Arrays.toString(lab.shape()));
            }
            if (images.items() != lab.items()) {
                throw new JobException(split + ": " + images.items() + " images but " + lab.items() + " labels");
            }
            Integer limit = split.equals("train") ? trainRows : testRows;
            if (limit != null && (limit < 1 || limit > images.items())) {
                throw new JobException("--" + split + "-rows " + limit + ": must be between 1 and " + images.items());
            }
            int rows = limit == null ? images.items() : limit;
            for (int i = 0; i < rows; i++) {
                if (lab.get(i) >= CLASS_NAMES.length) {
                    throw new JobException(split + " label " + i + " is " + lab.get(i) + ", not a class 0-9");
                }
            }
            int copies = split.equals("train") ? repeat : 1;
            Path target = out.resolve(split + "." + fmt);
            deleteIfPresent(target);
            if (fmt.equals("parquet")) {
                if (copies == 1) {
                    writeParquet(images, lab, rows, target);
                } else {
                    Files.createDirectories(target);
                    Path first = target.resolve("part-00000.parquet");
                    writeParquet(images, lab, rows, first);
                    for (int c = 1; c < copies; c++) { // the same rows again: copies of the first file
                        Files.copy(first, target.resolve(String.format(Locale.ROOT, "part-%05d.parquet", c)));
                    }
                }
            } else {
                writeCsv(images, lab, rows, target, fmt.endsWith(".gz"));
            }
            System.out.printf(Locale.ROOT, "%s: %,d rows × %d pixels -> %s%n", split, (long) rows * copies,
                    images.itemSize(), target);
        }
        System.out.printf(Locale.ROOT, "done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    private Path find(String base) {
        for (String name : new String[] {base + ".gz", base}) {
            Path p = source.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new JobException("--source " + source + ": neither " + base + ".gz nor " + base + " is there"
                + " (on Debian: apt-get install dataset-fashion-mnist)");
    }

    private static void deleteIfPresent(Path p) throws IOException {
        if (Files.isDirectory(p)) {
            try (var s = Files.walk(p)) {
                for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(q);
                }
            }
        } else {
            Files.deleteIfExists(p);
        }
    }

    private String labelOf(Idx lab, int i) {
        return labels.equals("name") ? CLASS_NAMES[lab.get(i)] : Integer.toString(lab.get(i));
    }

    private MessageType schema(int pixels) {
        Types.MessageTypeBuilder b = Types.buildMessage();
        if (labels.equals("name")) {
            b.required(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("label");
        } else {
            b.required(PrimitiveTypeName.INT32).named("label");
        }
        if (layout.equals("array")) {
            // the three-level list that Spark writes and reads for array<float> (elements not null)
            b.requiredGroup().as(LogicalTypeAnnotation.listType())
                    .repeatedGroup().required(PrimitiveTypeName.FLOAT).named("element").named("list")
                    .named("pixels");
        } else {
            for (int p = 0; p < pixels; p++) {
                b.required(PrimitiveTypeName.INT32).named("p" + p);
            }
        }
        return b.named("fashion_mnist");
    }

    private void writeParquet(Idx images, Idx lab, int rows, Path target) throws IOException {
        int pixels = images.itemSize();
        MessageType schema = schema(pixels);
        SimpleGroupFactory groups = new SimpleGroupFactory(schema);
        boolean byName = labels.equals("name");
        boolean array = layout.equals("array");
        try (ParquetWriter<Group> w = ExampleParquetWriter.builder(new LocalOutputFile(target))
                .withType(schema)
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .withRowGroupRowCountLimit(rowGroupRows)
                .withWriteMode(ParquetFileWriter.Mode.CREATE)
                .build()) {
            for (int i = 0; i < rows; i++) {
                Group g = groups.newGroup();
                if (byName) {
                    g.add("label", CLASS_NAMES[lab.get(i)]);
                } else {
                    g.add("label", lab.get(i));
                }
                long base = (long) i * pixels;
                if (array) {
                    Group list = g.addGroup("pixels");
                    for (int p = 0; p < pixels; p++) {
                        list.addGroup("list").add("element", (float) images.get(base + p));
                    }
                } else {
                    for (int p = 0; p < pixels; p++) {
                        g.add(p + 1, images.get(base + p));
                    }
                }
                w.write(g);
            }
        }
    }

    private void writeCsv(Idx images, Idx lab, int rows, Path target, boolean gzip) throws IOException {
        int pixels = images.itemSize();
        var raw = Files.newOutputStream(target);
        try (Writer w = new BufferedWriter(new OutputStreamWriter(gzip ? new GZIPOutputStream(raw, 1 << 16) : raw,
                StandardCharsets.UTF_8), 1 << 16)) {
            StringBuilder line = new StringBuilder("label");
            for (int p = 0; p < pixels; p++) {
                line.append(",p").append(p);
            }
            w.write(line.append('\n').toString());
            for (int i = 0; i < rows; i++) {
                line.setLength(0);
                String l = labelOf(lab, i);
                line.append(l); // no class name holds a comma or a quote
                long base = (long) i * pixels;
                for (int p = 0; p < pixels; p++) {
                    line.append(',').append(images.get(base + p));
                }
                w.write(line.append('\n').toString());
            }
        }
    }
}
