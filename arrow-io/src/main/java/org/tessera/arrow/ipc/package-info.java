/** Tessera's tensor files: the byte layout, a streaming writer and a validating reader. Not public API. */
package org.tessera.arrow.ipc;
