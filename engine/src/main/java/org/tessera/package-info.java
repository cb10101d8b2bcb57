/** Tessera: tensors on the JVM. {@link org.tessera.Tensor} and the creation functions of {@link org.tessera.Tessera} are the API. */
package org.tessera;
