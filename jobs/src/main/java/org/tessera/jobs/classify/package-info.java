/**
 * The {@code classify} job: softmax regression and multilayer perceptrons trained on a distributed
 * tensor, the saved {@link org.tessera.jobs.classify.ClassifierModel} that scoring loads, and the
 * training modes (driver graph, barrier tasks, single node).
 */
package org.tessera.jobs.classify;
