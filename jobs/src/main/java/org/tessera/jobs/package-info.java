/** Jobs for spark-submit and the launcher, and the launcher's entry point. */
package org.tessera.jobs;
