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
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].storage() != null && inputs[i].storage().isReleased()) {
                // fail at the call that uses the tensor, not later when the graph is computed
                throw new IllegalStateException(op.name().toLowerCase(java.util.Locale.ROOT) + ": input " + i + " ("
                        + inputs[i].shape() + " " + inputs[i].dtype() + ") uses a released buffer ("
                        + inputs[i].storage() + "): its memory was freed when its scope closed; keep the tensor in"
                        + " an open scope or call scope.keep(tensor)");
            }
        }
        if (op.isElementwise()) {
            for (int i = 0; i < inputs.length; i++) {
                if (!inputs[i].shape().broadcastsTo(shape)) {
                    // a kernel would read the input as if it had the output's extent: past its own elements
                    throw new IllegalArgumentException(op.name().toLowerCase(java.util.Locale.ROOT) + ": input " + i
                            + " of shape " + inputs[i].shape() + " does not broadcast to the result's shape " + shape);
                }
            }
        }
        Node n = new Node(op, shape, dtype, device, attrs, inputs);
        // as in PyTorch, only floating results carry gradient history (a cast to int64 ends it)
        if (GradMode.isEnabled() && op.isDifferentiable() && dtype.isFloatingPoint()) {
            for (Node in : inputs) {
                if (in.requiresGrad()) {
                    n.setRequiresGrad(true);
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
