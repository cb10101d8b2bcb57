/** The jobs' data: input files with checked columns, and generated data with known coefficients. */
package org.tessera.jobs.data;
