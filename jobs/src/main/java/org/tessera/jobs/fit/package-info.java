/** Model fitting for the regression job: moments through tensors, gradient descent with autograd. */
package org.tessera.jobs.fit;
