/**
 * Model fitting for the regression job: moments through tensors, the objective in standardized
 * coordinates with gradients from autograd, and its solvers (normal equations, Newton's method,
 * L-BFGS, gradient descent).
 */
package org.tessera.jobs.fit;
