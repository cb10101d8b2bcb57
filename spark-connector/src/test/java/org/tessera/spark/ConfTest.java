package org.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConfTest {
    private final TesseraSession ts = SharedSpark.session();

    @Test
    void everyKeyIsDeclaredOnceUnderThePrefixWithADocAndADefault() {
        Set<String> names = new HashSet<>();
        for (TesseraConf.Key<?> k : TesseraConf.all()) {
            assertTrue(k.name().startsWith("spark.tessera."), k.name());
            assertTrue(names.add(k.name()), "declared twice: " + k.name());
            assertFalse(k.doc().isBlank());
            k.get(null);
            assertTrue(TesseraConf.markdownTable().contains("`" + k.name() + "`"));
        }
    }

    @Test
    void theModuleReadmeDocumentsEveryKey() throws java.io.IOException {
        String readme = java.nio.file.Files.readString(java.nio.file.Path.of("README.md"));
        for (TesseraConf.Key<?> k : TesseraConf.all()) {
            assertTrue(readme.contains("`" + k.name() + "`"), "README.md does not list " + k.name());
        }
    }

    @Test
    void badValuesNameTheKeyAndTheDefault() {
        ts.spark().conf().set(TesseraConf.MATMUL_STRATEGY.name(), "fastest");
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TesseraConf.MATMUL_STRATEGY.get(ts.spark()));
            assertTrue(e.getMessage().contains("spark.tessera.matmul.strategy") && e.getMessage().contains("fastest"),
                    e.getMessage());
        } finally {
            ts.spark().conf().unset(TesseraConf.MATMUL_STRATEGY.name());
        }
        assertEquals(64L << 20, TesseraConf.parseBytes("64m"));
        assertEquals(MatmulStrategy.SELF_PRODUCT, MatmulStrategy.parse("self_product"));
    }

    @Test
    void theBuilderWrapsAnExistingSessionWithoutOwningIt() {
        TesseraSession wrapped = TesseraSession.builder().sparkSession(ts.spark())
                .config(TesseraConf.REDUCE_FAN_IN.name(), "3").getOrCreate();
        try {
            assertSame(ts.spark(), wrapped.spark());
            assertEquals(3, TesseraConf.REDUCE_FAN_IN.get(ts.spark()));
            wrapped.close();
            assertFalse(ts.spark().sparkContext().isStopped(), "closing a wrapper leaves the session running");
        } finally {
            ts.spark().conf().unset(TesseraConf.REDUCE_FAN_IN.name());
            SharedSpark.session();
        }
    }
}
