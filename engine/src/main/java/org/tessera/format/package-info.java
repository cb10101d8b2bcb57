/** PyTorch-style text of tensors. */
package org.tessera.format;
