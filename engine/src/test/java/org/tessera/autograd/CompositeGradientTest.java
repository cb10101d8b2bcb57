package org.tessera.autograd;

import static org.tessera.autograd.GradCheck.check;
import static org.tessera.autograd.GradCheck.input;
import static org.tessera.autograd.GradCheck.uniform;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.tessera.Tessera;
import org.tessera.memory.LeakCheck;

/** Gradients of ops composed from primitives, against finite differences in float64. */
@ExtendWith(LeakCheck.class)
class CompositeGradientTest {

    @Test
    void meanOfAllElements() {
        check(x -> x[0].mean(), uniform(1, -1, 1, 2, 3));
    }

    @Test
    void meanOverADimKeepingIt() {
        check(x -> x[0].mean(1, true), uniform(2, -1, 1, 3, 4));
    }

    @Test
    void meanOverTwoDimsOfATranspose() {
        check(x -> x[0].transpose(0, 2).mean(new int[] {0, 1}, false), uniform(3, -1, 1, 2, 3, 4));
    }

    @Test
    void reluAwayFromZero() {
        check(x -> x[0].relu(), input(new double[] {-1.5, 0.3, 0.8, -0.2, 1.1, -0.9}, 2, 3));
    }

    @Test
    void sigmoid() {
        check(x -> x[0].sigmoid(), uniform(4, -3, 3, 2, 3));
    }

    @Test
    void softmaxOverTheLastDim() {
        check(x -> x[0].softmax(1), uniform(5, -2, 2, 3, 4));
    }

    @Test
    void softmaxOverDimZeroOfATranspose() {
        check(x -> x[0].t().softmax(0), uniform(6, -2, 2, 3, 4));
    }

    @Test
    void logSoftmax() {
        check(x -> x[0].logSoftmax(-1), uniform(7, -2, 2, 2, 5));
    }

    @Test
    void clampWithBothBoundsAwayFromThem() {
        check(x -> x[0].clamp(-0.5, 0.5), input(new double[] {-1.5, 0.3, 0.8, -0.2, 0.1, -0.9}, 2, 3));
    }

    @Test
    void clampWithOnlyAMinimum() {
        check(x -> x[0].clamp(0.0, null), input(new double[] {-1.5, 0.3, 0.8, -0.2, 0.1, -0.9}, 6));
    }

    @Test
    void matmulOfTwoVectorsIsADotProduct() {
        check(x -> x[0].matmul(x[1]), uniform(8, -1, 1, 4), uniform(9, -1, 1, 4));
    }

    @Test
    void matmulOfAVectorAndAMatrix() {
        check(x -> x[0].matmul(x[1]), uniform(10, -1, 1, 3), uniform(11, -1, 1, 3, 2));
    }

    @Test
    void matmulOfAMatrixAndAVector() {
        check(x -> x[0].matmul(x[1]), uniform(12, -1, 1, 2, 3), uniform(13, -1, 1, 3));
    }

    @Test
    void matmulOfTransposedMatrices() {
        check(x -> x[0].t().matmul(x[1].t()), uniform(14, -1, 1, 3, 2), uniform(15, -1, 1, 4, 3));
    }

    @Test
    void batchedMatmulWithAMatrix() {
        check(x -> x[0].matmul(x[1]), uniform(16, -1, 1, 2, 2, 3), uniform(17, -1, 1, 3, 4));
    }

    @Test
    void batchedMatmulBroadcastingBatchDims() {
        check(x -> x[0].matmul(x[1]), uniform(18, -1, 1, 2, 1, 2, 3), uniform(19, -1, 1, 3, 3, 2));
    }

    @Test
    void indexingWithSteps() {
        check(x -> x[0].get("::2, 1::2"), uniform(20, -1, 1, 5, 4));
    }

    @Test
    void indexingWithNegativeBoundsAndNewAxis() {
        check(x -> x[0].get("-3:, None, :-1"), uniform(21, -1, 1, 4, 3));
    }

    @Test
    void selectAndNarrow() {
        check(x -> x[0].select(1, 2).add(x[0].narrow(1, 0, 1).squeeze()), uniform(22, -1, 1, 3, 4));
    }

    @Test
    void stackOfViews() {
        check(x -> Tessera.stack(List.of(x[0].t(), x[1]), 1), uniform(23, -1, 1, 3, 2), uniform(24, -1, 1, 2, 3));
    }

    @Test
    void maskedFill() {
        check(x -> x[0].maskedFill(x[0].lt(0), 2.0), input(new double[] {-1.5, 0.3, 0.8, -0.2, 0.1, -0.9}, 3, 2));
    }

    @Test
    void squareReciprocalAndUnsqueeze() {
        check(x -> x[0].square().add(x[1].reciprocal().unsqueeze(1)), uniform(25, -1, 1, 3, 2),
                uniform(26, 0.5, 2, 3));
    }

    @Test
    void meanSquaredErrorOfALinearModel() {
        check(x -> x[0].matmul(x[1]).add(x[2]).sub(Tessera.tensor(new double[] {1, -1, 0.5})).pow(2).mean(),
                uniform(27, -1, 1, 3, 2), uniform(28, -1, 1, 2), uniform(29, -1, 1, 1));
    }
}
