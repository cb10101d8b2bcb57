/** The lazy op graph: nodes, the closed set of primitive ops and their parameters. */
package org.tessera.graph;
