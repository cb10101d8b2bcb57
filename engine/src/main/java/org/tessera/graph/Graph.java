package org.tessera.graph;

import org.tessera.DType;
import org.tessera.Device;
import org.tessera.Shape;
import org.tessera.autograd.GradMode;
import org.tessera.backend.Backends;

/** Builds nodes: picks the device of the result and records whether it needs gradients. */
public final class Graph {
    private Graph() {
    }

    /** A new node of {@code op}; inputs must share a device (or be accepted by its backend). */
    public static Node node(Op op, Shape shape, DType dtype, Object attrs, Node... inputs) {
        Device device = inputs.length == 0 ? Device.CPU : resultDevice(op, inputs);
        return nodeOn(op, shape, dtype, device, attrs, inputs);
    }

    /** A new node on an explicit device. */
    public static Node nodeOn(Op op, Shape shape, DType dtype, Device device, Object attrs, Node... inputs) {
        Node n = new Node(op, shape, dtype, device, attrs, inputs);
        if (GradMode.isEnabled() && op.isDifferentiable()) {
            for (Node in : inputs) {
                if (in.requiresGrad()) {
                    n.setGradHistory();
                    break;
                }
            }
        }
        return n;
    }

    private static Device resultDevice(Op op, Node[] inputs) {
        Device d = inputs[0].device();
        for (int i = 1; i < inputs.length; i++) {
            Device e = inputs[i].device();
            if (e.equals(d)) {
                continue;
            }
            if (d.equals(Device.CPU) && Backends.forDevice(e).acceptsHostInputs()) {
                d = e;
            } else if (!(e.equals(Device.CPU) && Backends.forDevice(d).acceptsHostInputs())) {
                throw new IllegalArgumentException(op.name().toLowerCase(java.util.Locale.ROOT)
                        + ": expected all tensors on the same device, got " + d + " and " + e
                        + "; move one with to(device)");
            }
        }
        return d;
    }
}
