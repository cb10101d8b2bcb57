package org.tessera.jobs.classify;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.apache.spark.BarrierTaskContext;

/**
 * The gradient exchange of a barrier stage over plain TCP: task 0 listens, the tasks find it
 * through one {@link BarrierTaskContext#allGather} at the start, and every step each task sends its
 * message to task 0, which sends every task the other tasks' messages, in partition order.
 *
 * <p>Spark's own {@code allGather} would do the same, but it waits for the answer by sleeping a
 * second at a time, so each call costs about one second: fine once per stage, too slow for every
 * step. A task that fails closes its sockets, so the others fail at their next step instead of
 * waiting, and Spark reruns the whole stage.
 *
 * <p>Task 0 listens on its executor's address only (the one Spark gives for the task), and on a
 * port chosen by the system. The first {@code allGather}, which goes through Spark's RPC (and so
 * under {@code spark.authenticate} and {@code spark.network.crypto.enabled} when they are set),
 * carries a random 256-bit token with the address; a connection that does not present it within
 * ten seconds, or presents a task number out of range or taken, is closed and not counted. Every message must have
 * the sender's own message's length (every task encodes the same parameters), so nothing read
 * from a socket sizes an allocation. The messages themselves are not encrypted: where Spark's
 * network encryption is on, {@link Classifier} does not choose this mode.
 */
final class SocketExchange implements AutoCloseable {
    private static final int TIMEOUT_MS = 30 * 60 * 1000;
    private static final int TOKEN_BYTES = 32;
    /** How long task 0 waits for a new connection's token before it closes it. */
    private static final int HANDSHAKE_MS = 10_000;
    private final int tasks;
    private final int me;
    private final ServerSocket server;
    private final Socket[] peers;
    private final DataInputStream[] in;
    private final DataOutputStream[] out;

    /** Connects the tasks of the barrier stage of {@code ctx}. */
    SocketExchange(BarrierTaskContext ctx) {
        tasks = ctx.getTaskInfos().length;
        me = ctx.partitionId();
        peers = new Socket[tasks];
        in = new DataInputStream[tasks];
        out = new DataOutputStream[tasks];
        try {
            String host = ctx.getTaskInfos()[me].address();
            int colon = host.lastIndexOf(':');
            host = colon > 0 ? host.substring(0, colon) : host;
            byte[] token = new byte[TOKEN_BYTES];
            String shared = "";
            server = me == 0 ? new ServerSocket() : null;
            if (server != null) {
                server.bind(new InetSocketAddress(host, 0));
                server.setSoTimeout(TIMEOUT_MS);
                new java.security.SecureRandom().nextBytes(token);
                shared = host + ":" + server.getLocalPort() + ":" + java.util.HexFormat.of().formatHex(token);
            }
            String[] addresses = ctx.allGather(shared);
            if (me == 0) {
                int connected = 0;
                while (connected < tasks - 1) {
                    Socket s = server.accept();
                    s.setSoTimeout(HANDSHAKE_MS); // a connection that sends nothing does not hold up the others
                    DataInputStream din = new DataInputStream(new java.io.BufferedInputStream(s.getInputStream(),
                            1 << 16));
                    byte[] presented = new byte[TOKEN_BYTES];
                    int id;
                    try {
                        din.readFully(presented);
                        id = din.readInt();
                    } catch (IOException e) {
                        s.close();
                        continue;
                    }
                    if (!java.security.MessageDigest.isEqual(token, presented) || id < 1 || id >= tasks
                            || peers[id] != null) {
                        s.close(); // not one of this stage's tasks
                        continue;
                    }
                    peers[id] = s;
                    in[id] = din;
                    out[id] = new DataOutputStream(new java.io.BufferedOutputStream(s.getOutputStream(), 1 << 16));
                    connected++;
                }
            } else {
                String a = addresses[0];
                int c2 = a.lastIndexOf(':');
                int c1 = a.lastIndexOf(':', c2 - 1);
                token = java.util.HexFormat.of().parseHex(a.substring(c2 + 1));
                Socket s = new Socket();
                s.connect(new InetSocketAddress(a.substring(0, c1), Integer.parseInt(a.substring(c1 + 1, c2))),
                        TIMEOUT_MS);
                peers[0] = s;
                in[0] = new DataInputStream(new java.io.BufferedInputStream(s.getInputStream(), 1 << 16));
                out[0] = new DataOutputStream(new java.io.BufferedOutputStream(s.getOutputStream(), 1 << 16));
                out[0].write(token);
                out[0].writeInt(me);
                out[0].flush();
            }
            for (Socket s : peers) {
                if (s != null) {
                    s.setSoTimeout(TIMEOUT_MS);
                    s.setTcpNoDelay(true);
                }
            }
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("barrier training: cannot connect the tasks: " + e.getMessage(), e);
        }
    }

    /** Every task's message of this step, in partition order (this task's own included). */
    byte[][] allGather(byte[] message) {
        byte[][] all = new byte[tasks][];
        try {
            if (me == 0) {
                all[0] = message;
                for (int i = 1; i < tasks; i++) {
                    all[i] = read(in[i], message.length, i);
                }
                // each task gets the others' messages: its own it has
                for (int i = 1; i < tasks; i++) {
                    for (int j = 0; j < tasks; j++) {
                        if (j != i) {
                            out[i].writeInt(all[j].length);
                            out[i].write(all[j]);
                        }
                    }
                    out[i].flush();
                }
            } else {
                out[0].writeInt(message.length);
                out[0].write(message);
                out[0].flush();
                for (int i = 0; i < tasks; i++) {
                    if (i == me) {
                        all[i] = message;
                    } else {
                        all[i] = read(in[0], message.length, i);
                    }
                }
            }
            return all;
        } catch (IOException e) {
            throw new UncheckedIOException("barrier training: task " + me + " lost its connection to the other"
                    + " tasks (another task failed?): " + e.getMessage(), e);
        }
    }

    /** Task {@code from}'s message, which must be {@code length} bytes long as this task's own is. */
    private byte[] read(DataInputStream din, int length, int from) throws IOException {
        int n = din.readInt();
        if (n != length) {
            throw new IOException("task " + from + "'s message has " + n + " bytes, expected " + length);
        }
        byte[] b = new byte[n];
        din.readFully(b);
        return b;
    }

    @Override
    public void close() {
        for (Socket s : peers) {
            try {
                if (s != null) {
                    s.close();
                }
            } catch (IOException e) {
                // closing after a failure: the failure is what gets reported
            }
        }
        try {
            if (server != null) {
                server.close();
            }
        } catch (IOException e) {
            // as above
        }
    }
}
