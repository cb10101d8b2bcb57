/**
 * The jobs' data: input files, their checks (malformed lines, missing and infinite cells, text, with
 * file and line), classification labels, and generated data with known coefficients.
 */
package org.tessera.jobs.data;
