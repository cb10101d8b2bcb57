/** Output helpers of the jobs: progress display, loss-curve pictures, JSON. */
package org.tessera.jobs.report;
