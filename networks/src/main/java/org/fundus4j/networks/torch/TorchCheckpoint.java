package org.fundus4j.networks.torch;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import net.razorvine.pickle.PickleException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads PyTorch {@code .pth}/{@code .pt} files into a {@link StateDict} without running Python or
 * instantiating any class named in the file.
 *
 * <p>Understood layouts (torch 1.x and 2.x writers):
 * <ul>
 *   <li>the zip format of {@code torch.save} (torch &ge; 1.6): {@code <any folder>/data.pkl} plus raw
 *       little-endian storages {@code <folder>/data/<key>};</li>
 *   <li>the legacy format ({@code _use_new_zipfile_serialization=False}): magic number, protocol and
 *       system-info pickles, the object pickle, the storage-key list, then each storage as an int64
 *       element count followed by its bytes;</li>
 *   <li>whatever was saved: a state dict, a checkpoint dict holding one under {@code 'state_dict'},
 *       {@code 'model_state_dict'} or {@code 'model'}, or a whole pickled {@code nn.Module} (e.g.
 *       {@code nn.DataParallel(torchvision.models.resnet50())}, as the paper's authors release), whose
 *       state dict is recovered from its {@code _parameters}, persistent {@code _buffers} and
 *       {@code _modules};</li>
 *   <li>a {@code module.} prefix on every key ({@code nn.DataParallel}) is removed.</li>
 * </ul>
 * Tensors may be float32/64/16, bfloat16, int64/32/16/8, uint8 or bool, and any view (offset, strides)
 * of a storage. Python globals are checked against an allow-list; anything else (e.g. {@code os.system})
 * raises {@link UnsafePickleException}.
 *
 * <pre>{@code
 * StateDict sd = TorchCheckpoint.read(Path.of("resnet50_512_ImageNet+Fundus.pth"));
 * System.out.println(sd.format() + ": " + sd.keys().size() + " tensors");
 * }</pre>
 */
public final class TorchCheckpoint {
  private static final Logger LOG = LoggerFactory.getLogger(TorchCheckpoint.class);
  private static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
  private static final List<String> CHECKPOINT_KEYS = List.of("state_dict", "model_state_dict", "model");
  /** Most bytes of one storage: Java arrays stop at 2^31 - 1; the largest ResNet-50 tensor takes 9.4 MB. */
  static final long MAX_STORAGE_BYTES = Integer.MAX_VALUE - 8;
  /** Most nested modules (a ResNet-50 in DataParallel nests 4) and module visits (ResNet-50: 161). */
  static final int MAX_MODULE_DEPTH = 1_000;
  static final int MAX_MODULE_VISITS = 1_000_000;

  private TorchCheckpoint() {}

  /**
   * Reads every tensor of a PyTorch checkpoint.
   *
   * @param pth a file written by {@code torch.save}
   * @return the state dict, keys in file order, {@code module.} prefix removed
   * @throws UnsafePickleException if the pickle names a global outside the allow-list
   * @throws IOException if the file is unreadable or not a PyTorch checkpoint (message names the file)
   */
  public static StateDict read(Path pth) throws IOException {
    Objects.requireNonNull(pth, "pth");
    byte[] head = new byte[4];
    try (InputStream in = Files.newInputStream(pth)) {
      if (in.readNBytes(head, 0, 4) < 4) {
        throw new IOException(pth + " is not a PyTorch checkpoint: shorter than 4 bytes");
      }
    }
    boolean zip = head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
    StateDict sd;
    try {
      sd = zip ? readZip(pth) : readLegacy(pth);
    } catch (PickleException | IllegalArgumentException | IllegalStateException | ArithmeticException
        | ClassCastException e) {
      throw new IOException("Cannot read " + pth + ": " + e.getMessage(), e);
    } catch (StackOverflowError e) {
      throw new IOException("Cannot read " + pth + ": objects nested too deeply");
    } catch (OutOfMemoryError e) {
      throw new IOException("Cannot read " + pth + ": it needs more memory than this JVM's heap ("
          + Runtime.getRuntime().maxMemory() / (1 << 20) + " MB); raise -Xmx if the file is genuine");
    }
    LOG.debug("Read {} tensors from {} ({})", sd.keys().size(), pth.getFileName(), sd.format());
    return sd;
  }

  private static StateDict readZip(Path pth) throws IOException {
    try (ZipFile zip = new ZipFile(pth.toFile())) {
      String prefix = null;
      for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
        String name = e.nextElement().getName();
        if (name.equals("data.pkl") || name.endsWith("/data.pkl")) {
          if (prefix == null || name.length() < prefix.length() + 8) {
            prefix = name.substring(0, name.length() - "data.pkl".length());
          }
        }
      }
      if (prefix == null) {
        throw new IOException(pth + " is a zip file without a data.pkl entry: not a torch.save checkpoint");
      }
      ZipEntry byteOrder = zip.getEntry(prefix + "byteorder");
      if (byteOrder != null) {
        String order = new String(zip.getInputStream(byteOrder).readAllBytes(), StandardCharsets.US_ASCII).trim();
        if (!order.equals("little")) {
          throw new IOException(pth + " stores tensors in '" + order + "' byte order; only little is supported");
        }
      }
      Map<String, Storage> storages = new HashMap<>();
      String base = prefix;
      IOException[] failure = new IOException[1];
      SafeUnpickler unpickler = new SafeUnpickler(pth.toString(), pid -> {
        Storage s = storageFor(pid, storages, pth);
        if (s.hasData() || failure[0] != null) {
          return s;
        }
        if (s.numel == 0) {
          s.setData(new byte[0]);
          return s;
        }
        ZipEntry entry = zip.getEntry(base + "data/" + s.key);
        if (entry == null) {
          throw new PickleException("storage entry " + base + "data/" + s.key + " is missing");
        }
        try (InputStream in = zip.getInputStream(entry)) {
          long declared = entry.getSize();
          long needed = readStorageSize(s, pth);
          if (declared >= 0 && declared != needed) {
            throw new IOException("storage entry " + entry.getName() + " of " + pth + " declares " + declared
                + " bytes but its pickle says " + s.numel + " " + s.dtype.pythonName + " elements (" + needed
                + " bytes): the file is forged or corrupt; nothing was inflated");
          }
          s.setData(readStorage(in, s, declared, pth));
        } catch (IOException e) {
          failure[0] = e;
        }
        return s;
      });
      Object root;
      ZipEntry pickle = zip.getEntry(prefix + "data.pkl");
      if (pickle.getSize() > SafeUnpickler.MAX_PICKLE_BYTES) {
        throw new IOException("Cannot read " + pth + ": its data.pkl declares " + pickle.getSize()
            + " bytes, more than the " + SafeUnpickler.MAX_PICKLE_BYTES + " this loader reads");
      }
      try (InputStream in = new BufferedInputStream(zip.getInputStream(pickle))) {
        root = unpickler.loadSafely(in);
      }
      if (failure[0] != null) {
        throw failure[0];
      }
      return StateDictBuilder.from(root, "zip", pth);
    }
  }

  private static StateDict readLegacy(Path pth) throws IOException {
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(pth), 1 << 20)) {
      Map<String, Storage> storages = new LinkedHashMap<>();
      SafeUnpickler header = new SafeUnpickler(pth.toString(), pid -> {
        throw new PickleException("unexpected persistent id in header");
      });
      Object magic;
      try {
        magic = header.loadSafely(raw);
      } catch (IOException | RuntimeException e) {
        if (e instanceof UnsafePickleException unsafe) {
          throw unsafe;
        }
        throw new IOException(pth + " is neither a zip nor a legacy PyTorch checkpoint: " + e.getMessage(), e);
      }
      if (!(magic instanceof Number n) || !new BigInteger(n.toString()).equals(LEGACY_MAGIC)) {
        throw new IOException(pth + " is neither a zip nor a legacy PyTorch checkpoint (first pickle is "
            + (magic == null ? "None" : magic.getClass().getSimpleName()) + ", not the torch magic number)");
      }
      Object protocol = header.loadSafely(raw);
      if (!(protocol instanceof Number p) || p.intValue() != 1001) {
        throw new IOException(pth + ": unsupported legacy protocol version " + protocol + " (expected 1001)");
      }
      Object sysInfo = header.loadSafely(raw);
      if (sysInfo instanceof Map<?, ?> info && Boolean.FALSE.equals(info.get("little_endian"))) {
        throw new IOException(pth + " was written on a big-endian machine; not supported");
      }
      SafeUnpickler body = new SafeUnpickler(pth.toString(), pid -> storageFor(pid, storages, pth));
      Object root = body.loadSafely(raw);
      Object keys = header.loadSafely(raw);
      if (!(keys instanceof List<?> keyList) || keyList.size() > storages.size()) {
        throw new IOException(pth + ": legacy storage key list missing after the object pickle");
      }
      DataInputStream data = new DataInputStream(raw);
      for (Object key : keyList) {
        Storage s = storages.get(String.valueOf(key));
        if (s == null) {
          throw new IOException(pth + ": storage '" + key + "' is listed but never referenced");
        }
        long numel = Long.reverseBytes(data.readLong());
        if (numel != s.numel) {
          throw new IOException(pth + ": storage '" + key + "' has " + numel + " elements on disk, pickle says "
              + s.numel);
        }
        s.setData(readStorage(data, s, Files.size(pth), pth));
      }
      return StateDictBuilder.from(root, "legacy", pth);
    }
  }

  private static Storage storageFor(Object[] pid, Map<String, Storage> storages, Path pth) {
    if (pid.length < 5 || !"storage".equals(pid[0]) || !(pid[1] instanceof SafeUnpickler.StorageType type)) {
      throw new PickleException("unsupported persistent id (" + SafeUnpickler.describe(pid) + ") in " + pth);
    }
    if (pid.length > 5 && pid[5] != null) {
      throw new PickleException("legacy storage views are not supported in " + pth);
    }
    if (!(pid[2] instanceof String || pid[2] instanceof Number) || !(pid[4] instanceof Number count)
        || count instanceof Double) {
      throw new PickleException("storage key and size must be a string and an int in " + pth);
    }
    String key = String.valueOf(pid[2]);
    long numel = count.longValue();
    if (numel < 0 || (count instanceof BigInteger big && big.bitLength() > 63)) {
      throw new PickleException("storage '" + key + "' declares " + count + " elements in " + pth);
    }
    return storages.computeIfAbsent(key, k -> new Storage(k, type.dtype(), numel));
  }

  /** A storage's size in bytes, refused above {@link #MAX_STORAGE_BYTES}. */
  private static long readStorageSize(Storage s, Path pth) throws IOException {
    long bytes;
    try {
      bytes = Math.multiplyExact(s.numel, (long) s.dtype.bytes);
    } catch (ArithmeticException e) {
      bytes = Long.MAX_VALUE;
    }
    if (bytes > MAX_STORAGE_BYTES) {
      throw new IOException("storage '" + s.key + "' of " + pth + " declares " + s.numel + " "
          + s.dtype.pythonName + " elements (" + bytes + " bytes), more than the " + MAX_STORAGE_BYTES
          + " bytes this loader reads per storage");
    }
    return bytes;
  }

  /**
   * Reads one storage's bytes, at most {@code available} (a zip entry's declared size, or the file's size),
   * and refuses a storage larger than {@link #MAX_STORAGE_BYTES} or than the bytes there are before
   * allocating anything.
   */
  private static byte[] readStorage(InputStream in, Storage s, long available, Path pth) throws IOException {
    long bytes = readStorageSize(s, pth);
    String what = "storage '" + s.key + "' of " + pth + " declares " + s.numel + " " + s.dtype.pythonName
        + " elements (" + bytes + " bytes)";
    if (available >= 0 && bytes > available) {
      throw new IOException(what + " but only " + available + " bytes are there: the file is truncated or forged");
    }
    byte[] out;
    try {
      out = new byte[(int) bytes];
    } catch (OutOfMemoryError e) {
      throw new IOException(what + ", more than this JVM's heap (" + Runtime.getRuntime().maxMemory() / (1 << 20)
          + " MB) can hold; raise -Xmx if the file is genuine");
    }
    int n = in.readNBytes(out, 0, out.length);
    if (n < out.length) {
      throw new IOException(what + " but its data ends after " + n + " bytes: the file is truncated");
    }
    return out;
  }

  /** Finds the state dict inside whatever object was pickled. */
  static final class StateDictBuilder {
    private StateDictBuilder() {}

    static StateDict from(Object root, String container, Path pth) throws IOException {
      List<String> how = new ArrayList<>();
      how.add(container);
      Map<String, TensorRef> tensors = find(root, how, pth);
      boolean stripped = false;
      while (!tensors.isEmpty() && tensors.keySet().stream().allMatch(k -> k.startsWith("module."))) {
        Map<String, TensorRef> unwrapped = new LinkedHashMap<>();
        tensors.forEach((k, v) -> unwrapped.put(k.substring("module.".length()), v));
        tensors = unwrapped;
        stripped = true;
      }
      if (stripped) {
        how.add("'module.' prefix removed");
      }
      return new StateDict(tensors, String.join(", ", how));
    }

    private static Map<String, TensorRef> find(Object root, List<String> how, Path pth) throws IOException {
      Object obj = root;
      for (int depth = 0; depth <= CHECKPOINT_KEYS.size(); depth++) {
        if (obj instanceof PyObject module) {
          how.add("pickled module " + module.className);
          return walk(module, pth);
        }
        if (!(obj instanceof Map<?, ?> map)) {
          break;
        }
        if (!map.isEmpty() && map.values().stream().allMatch(v -> v instanceof TensorRef)) {
          how.add("state_dict");
          Map<String, TensorRef> out = new LinkedHashMap<>();
          map.forEach((k, v) -> out.put(String.valueOf(k), (TensorRef) v));
          return out;
        }
        String key = CHECKPOINT_KEYS.stream().filter(map::containsKey).findFirst().orElse(null);
        if (key == null) {
          List<String> keys = map.keySet().stream().limit(10).map(SafeUnpickler::describe).toList();
          throw new IOException("No state dict in " + pth + ": the pickled dict has keys " + keys
              + (map.size() > 10 ? " and " + (map.size() - 10) + " more" : "")
              + "; expected tensors or one of " + CHECKPOINT_KEYS);
        }
        how.add("checkpoint['" + key + "']");
        obj = map.get(key);
      }
      throw new IOException("No state dict in " + pth + ": it holds " + SafeUnpickler.describe(obj)
          + ", not a dict of tensors or an nn.Module");
    }

    /** Depth-first over {@code _modules} without recursion, bounded in depth and in visits. */
    private static Map<String, TensorRef> walk(PyObject root, Path pth) throws IOException {
      Map<String, TensorRef> out = new LinkedHashMap<>();
      java.util.ArrayDeque<Object[]> todo = new java.util.ArrayDeque<>();
      todo.push(new Object[] {root, "", 0});
      int visits = 0;
      while (!todo.isEmpty()) {
        Object[] next = todo.pop();
        PyObject module = (PyObject) next[0];
        String prefix = (String) next[1];
        int depth = (Integer) next[2];
        if (depth > MAX_MODULE_DEPTH || ++visits > MAX_MODULE_VISITS) {
          throw new IOException("Cannot read " + pth + ": its modules nest deeper than " + MAX_MODULE_DEPTH
              + " or number more than " + MAX_MODULE_VISITS + " visits; not a model this loader reads");
        }
        Object nonPersistent = module.state.get("_non_persistent_buffers_set");
        Collection<?> skip = nonPersistent instanceof Collection<?> c ? c : Set.of();
        addTensors(module.state.get("_parameters"), prefix, Set.of(), out);
        addTensors(module.state.get("_buffers"), prefix, skip, out);
        if (module.state.get("_modules") instanceof Map<?, ?> children) {
          List<Object[]> kids = new ArrayList<>();
          children.forEach((name, child) -> {
            if (child instanceof PyObject c) {
              kids.add(new Object[] {c, prefix + name + ".", depth + 1});
            }
          });
          for (int i = kids.size() - 1; i >= 0; i--) {
            todo.push(kids.get(i)); // children in file order, as the recursive walk visited them
          }
        }
      }
      return out;
    }

    private static void addTensors(Object dict, String prefix, Collection<?> skip, Map<String, TensorRef> out) {
      if (dict instanceof Map<?, ?> map) {
        map.forEach((name, value) -> {
          if (value instanceof TensorRef t && !skip.contains(name)) {
            out.put(prefix + name, t);
          }
        });
      }
    }
  }
}
