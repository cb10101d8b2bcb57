package org.tessera.jobs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TourTest {
    @Test
    void tourPrintsTheTutorialsGradients() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        new Tour(new PrintStream(buf, true, StandardCharsets.UTF_8)).run();
        String text = buf.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains(">>> x.grad()\ntensor(4.)"), text);
        assertTrue(text.contains(">>> y.grad()\ntensor(27.)"), text);
        assertTrue(text.contains("tensor(8.)") && text.contains("tensor(54.)"), text);
        assertTrue(text.contains("tensor([ 6,  7,  8,  9, 10, 11, 12])"), text);
    }
}
