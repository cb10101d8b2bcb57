/** Off-heap tensor memory: Arrow allocators with a limit, reference-counted storage and scopes. */
package org.tessera.memory;
