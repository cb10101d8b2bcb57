/** Command-line plumbing shared by the jobs: Spark options and user-facing errors. */
package org.tessera.jobs.cli;
