/** Output helpers of the jobs: progress display, loss-curve pictures, JSON, small linear solves. */
package org.tessera.jobs.report;
