/** Shared helpers for the Arrow conversions: type mapping, buffer sharing, bit packing. Not public API. */
package org.tessera.arrow.internal;
