package org.tessera.arrow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tessera.DType;
import org.tessera.Tensor;

/**
 * Loads the committed files that Arrow Java's own writers produced
 * ({@code org.tessera.arrow.fixtures.ArrowJavaFixtures}): the variants of the IPC format that
 * another library may write load as the tensor they hold, and the features Tessera does not
 * read are refused by name.
 */
@ExtendWith(LeakCheck.class)
class ArrowJavaFixturesTest {
    private static Path fixture(String name) throws URISyntaxException {
        return Path.of(ArrowJavaFixturesTest.class.getResource("/java/" + name).toURI());
    }

    @Test
    void nullableColumnWithValidityBuffersAndAnEmptyBatchLoads() throws Exception {
        Tensor t = TensorFiles.load(fixture("float4-nullable-batches.arrow"));
        assertEquals(DType.FLOAT32, t.dtype());
        float[] expected = new float[8];
        for (int k = 0; k < 8; k++) {
            expected[k] = k * 0.5f - 1;
        }
        assertArrayEquals(expected, t.toFloatArray());
    }

    @Test
    void streamsWithAndWithoutTheEndOfStreamMarkerLoad() throws Exception {
        long[] expected = {-3, -2, 1, 6, 13, 22};
        for (String name : new String[] {"bigint.arrows", "bigint-no-eos.arrows"}) {
            Tensor t = TensorFiles.load(fixture(name));
            assertEquals(DType.INT64, t.dtype(), name);
            assertArrayEquals(expected, t.toLongArray(), name);
        }
    }

    @Test
    void plainFixedSizeListLoadsAsRowsOfItsListSize() throws Exception {
        Tensor t = TensorFiles.load(fixture("fixed-size-list-int32.arrows"));
        assertArrayEquals(new long[] {4, 3}, t.shape().dims());
        int[] expected = new int[12];
        for (int k = 0; k < 12; k++) {
            expected[k] = 3 * k + 1;
        }
        assertArrayEquals(expected, t.toIntArray());
    }

    @Test
    void preOnePointZeroFramingWithMetadataVersionFourLoads() throws Exception {
        Tensor t = TensorFiles.load(fixture("int32-legacy-v4.arrows"));
        assertArrayEquals(new int[] {10, 20, 30}, t.toIntArray());
    }

    @Test
    void bitColumnLoadsAsBool() throws Exception {
        Tensor t = TensorFiles.load(fixture("bit.arrow"));
        assertEquals(DType.BOOL, t.dtype());
        boolean[] expected = new boolean[11];
        for (int k = 0; k < 11; k++) {
            expected[k] = k % 3 == 0;
        }
        assertArrayEquals(expected, t.toBooleanArray());
    }

    @Test
    void schemaWithoutBatchesLoadsAsAnEmptyTensor() throws Exception {
        Tensor t = TensorFiles.load(fixture("float8-no-batches.arrows"));
        assertEquals(DType.FLOAT64, t.dtype());
        assertArrayEquals(new long[] {0}, t.shape().dims());
    }

    @Test
    void fixedShapeTensorColumnLoadsWithItsShape() throws Exception {
        Tensor t = TensorFiles.load(fixture("tensor-column-float64.arrow"));
        assertArrayEquals(new long[] {4, 2, 3}, t.shape().dims());
        double[] expected = new double[24];
        for (int k = 0; k < 24; k++) {
            expected[k] = k * 0.25;
        }
        assertArrayEquals(expected, t.toDoubleArray());
    }

    @Test
    void compressionAndDictionariesAreRefusedByName() throws Exception {
        Path lz4 = fixture("float8-lz4.arrow");
        TesseraIOException e = assertThrows(TesseraIOException.class, () -> TensorFiles.load(lz4));
        assertTrue(e.getMessage().startsWith(lz4 + ": record batch 0: compressed record batches (LZ4_FRAME) are not"
                + " supported"), e.getMessage());
        Path dict = fixture("utf8-dictionary.arrow");
        e = assertThrows(TesseraIOException.class, () -> TensorFiles.load(dict));
        assertTrue(e.getMessage().startsWith(dict + ": ") && e.getMessage().contains("dictionary"), e.getMessage());
    }
}
