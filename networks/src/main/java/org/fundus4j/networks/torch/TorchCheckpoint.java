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
    StateDict sd = zip ? readZip(pth) : readLegacy(pth);
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
          s.setData(in.readAllBytes());
        } catch (IOException e) {
          failure[0] = e;
        }
        return s;
      });
      Object root;
      try (InputStream in = new BufferedInputStream(zip.getInputStream(zip.getEntry(prefix + "data.pkl")))) {
        root = unpickler.loadSafely(in);
      }
      if (failure[0] != null) {
        throw new IOException("Cannot read storages of " + pth + ": " + failure[0].getMessage(), failure[0]);
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
      if (!(keys instanceof List<?> keyList)) {
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
        byte[] bytes = new byte[Math.toIntExact(numel * s.dtype.bytes)];
        data.readFully(bytes);
        s.setData(bytes);
      }
      return StateDictBuilder.from(root, "legacy", pth);
    }
  }

  private static Storage storageFor(Object[] pid, Map<String, Storage> storages, Path pth) {
    if (pid.length < 5 || !"storage".equals(pid[0]) || !(pid[1] instanceof SafeUnpickler.StorageType type)) {
      throw new PickleException("unsupported persistent id " + java.util.Arrays.toString(pid) + " in " + pth);
    }
    if (pid.length > 5 && pid[5] != null) {
      throw new PickleException("legacy storage views (view_metadata " + pid[5] + ") are not supported in " + pth);
    }
    String key = String.valueOf(pid[2]);
    long numel = ((Number) pid[4]).longValue();
    return storages.computeIfAbsent(key, k -> new Storage(k, type.dtype(), numel));
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

    private static Map<String, TensorRef> find(Object obj, List<String> how, Path pth) throws IOException {
      if (obj instanceof PyObject module) {
        how.add("pickled module " + module.className);
        Map<String, TensorRef> out = new LinkedHashMap<>();
        walk(module, "", out);
        return out;
      }
      if (obj instanceof Map<?, ?> map) {
        if (!map.isEmpty() && map.values().stream().allMatch(v -> v instanceof TensorRef)) {
          how.add("state_dict");
          Map<String, TensorRef> out = new LinkedHashMap<>();
          map.forEach((k, v) -> out.put(String.valueOf(k), (TensorRef) v));
          return out;
        }
        for (String key : CHECKPOINT_KEYS) {
          if (map.containsKey(key)) {
            how.add("checkpoint['" + key + "']");
            return find(map.get(key), how, pth);
          }
        }
        throw new IOException("No state dict in " + pth + ": the pickled dict has keys " + map.keySet()
            + "; expected tensors or one of " + CHECKPOINT_KEYS);
      }
      throw new IOException("No state dict in " + pth + ": it holds a "
          + (obj == null ? "None" : obj.getClass().getSimpleName()) + ", not a dict or an nn.Module");
    }

    private static void walk(PyObject module, String prefix, Map<String, TensorRef> out) {
      Object nonPersistent = module.state.get("_non_persistent_buffers_set");
      Collection<?> skip = nonPersistent instanceof Collection<?> c ? c : Set.of();
      addTensors(module.state.get("_parameters"), prefix, Set.of(), out);
      addTensors(module.state.get("_buffers"), prefix, skip, out);
      if (module.state.get("_modules") instanceof Map<?, ?> children) {
        children.forEach((name, child) -> {
          if (child instanceof PyObject c) {
            walk(c, prefix + name + ".", out);
          }
        });
      }
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
