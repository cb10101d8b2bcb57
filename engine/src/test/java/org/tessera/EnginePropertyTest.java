package org.tessera;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EnginePropertyTest {
    @Test
    void everySettingHasAUniqueKeyADefaultAndADoc() {
        Set<String> keys = new HashSet<>();
        for (EngineProperty p : EngineProperty.values()) {
            assertTrue(p.key().startsWith("tessera."), p.key());
            assertTrue(keys.add(p.key()), "duplicate " + p.key());
            assertFalse(p.defaultText().isBlank(), p.key());
            assertTrue(p.doc().length() > 20, p.key());
        }
        String table = EngineProperty.markdownTable();
        String readme;
        try {
            readme = java.nio.file.Files.readString(java.nio.file.Path.of("..", "README.md"));
        } catch (java.io.IOException e) {
            throw new AssertionError("the repository README.md cannot be read", e);
        }
        for (EngineProperty p : EngineProperty.values()) {
            assertTrue(readme.contains("`" + p.key() + "`"), "README.md does not list " + p.key());
        }
        // the README's rows are the declared ones, word for word (defaults and meanings included)
        for (String row : table.split("\n")) {
            assertTrue(readme.contains(row), "README.md's table lacks the row as declared:\n" + row);
        }
        assertEquals(EngineProperty.values().length + 2, table.split("\n").length);
    }
}
