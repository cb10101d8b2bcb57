package org.tessera;

/**
 * The result of {@code max(dim)} and {@code min(dim)}: the extreme values and their indices
 * along the dim, as PyTorch's {@code (values, indices)} pair.
 */
public record ValuesIndices(Tensor values, Tensor indices) {
}
