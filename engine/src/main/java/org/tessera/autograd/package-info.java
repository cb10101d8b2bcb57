/** Reverse-mode autograd over the op graph: the backward pass and one gradient rule per primitive. */
package org.tessera.autograd;
