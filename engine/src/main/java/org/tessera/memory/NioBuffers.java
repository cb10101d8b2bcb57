package org.tessera.memory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.ForeignAllocation;
import org.apache.arrow.memory.util.MemoryUtil;

/** Shares memory between tensors and direct NIO buffers, in both directions, without copying. */
public final class NioBuffers {
    private NioBuffers() {
    }

    /** Memory of a direct buffer seen by Arrow; the buffer object is kept alive while it is used. */
    private static final class Borrowed extends ForeignAllocation {
        @SuppressWarnings("unused")
        private final ByteBuffer keepAlive;

        Borrowed(ByteBuffer b) {
            super(b.capacity(), MemoryUtil.getByteBufferAddress(b));
            this.keepAlive = b;
        }

        @Override
        protected void release0() {
            // the memory belongs to the ByteBuffer; the JVM frees it when the buffer is collected
        }
    }

    /**
     * A storage over the whole of a direct buffer (position and limit are ignored); writes through
     * either are seen through the other. The storage of a read-only buffer is read-only.
     *
     * @throws IllegalArgumentException for a heap buffer, which has no stable address
     */
    public static Storage wrap(ByteBuffer buffer, String what) {
        if (!buffer.isDirect()) {
            throw new IllegalArgumentException(what + ": the buffer must be direct (ByteBuffer.allocateDirect) to share"
                    + " memory; a heap buffer has no stable address; copy it with Tessera.fromArray instead");
        }
        ArrowBuf arrow = Memory.root().wrapForeignAllocation(new Borrowed(buffer));
        try {
            // a read-only buffer (a read-only file mapping, a tensor's read-only view) makes a
            // read-only tensor: a write into such memory would crash the JVM
            return buffer.isReadOnly() ? Storage.wrapReadOnly(arrow, buffer.capacity(), what)
                    : Storage.wrap(arrow, buffer.capacity(), what);
        } finally {
            arrow.close(); // the storage holds its own reference
        }
    }

    /**
     * A little-endian view of {@code bytes} bytes at {@code byteOffset} of a storage that keeps the
     * memory allocated for as long as the buffer (or any slice or duplicate of it, which the JVM
     * links to it) is reachable, even after the tensor is freed or its scope closes; the memory is
     * never reused by another tensor while the view can see it. The view of a
     * {@linkplain Storage#isReadOnly() read-only} storage is a read-only buffer.
     */
    public static ByteBuffer view(Storage s, long byteOffset, long bytes) {
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("asByteBuffer: " + bytes + " bytes exceed what one ByteBuffer can address ("
                    + Integer.MAX_VALUE + "); view a slice of the tensor instead");
        }
        if (byteOffset < 0 || byteOffset + bytes > s.byteSize()) {
            throw new IllegalArgumentException("asByteBuffer: bytes [" + byteOffset + ", " + (byteOffset + bytes)
                    + ") lie outside the tensor's " + s.byteSize() + "-byte buffer");
        }
        ArrowBuf ref = s.exportReference();
        ByteBuffer base;
        ByteBuffer view;
        try {
            base = ref.nioBuffer(byteOffset, (int) bytes);
            // a write into a read-only mapping would crash the JVM
            view = s.isReadOnly() ? base.asReadOnlyBuffer() : base;
            view.order(ByteOrder.LITTLE_ENDIAN);
        } catch (RuntimeException | Error e) {
            ref.close();
            throw e;
        }
        // The reference is dropped once no slice or duplicate of the view can reach the memory. The
        // JVM links every buffer derived from a direct buffer (a read-only wrapper, and that wrapper's
        // slices and duplicates) to the first one, not to the buffer it was derived from: so the
        // reference follows the first buffer, which the read-only view and all of those keep alive.
        Memory.CLEANER.register(base, ref::close);
        return view;
    }
}
