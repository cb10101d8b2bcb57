/** Builders of primitive nodes: type promotion, broadcasting and shape checks, one class per op family. */
package org.tessera.ops;
