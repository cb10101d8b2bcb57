// Startup of `./tessera shell`: Tessera's API imported, as in the tutorial.
import org.tessera.*;
import static org.tessera.Tessera.*;
import org.tessera.spark.*;
System.out.println("Tessera shell. Try: var x = tensor(new int[][] {{1, 2}, {3, 4}});  x.matmul(x.t())");
System.out.println("Distributed tensors: var ts = TesseraSession.builder().master(\"local[2]\").getOrCreate();");
