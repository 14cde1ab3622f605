package org.fundus4j.networks.torch;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

/**
 * A razorvine {@link Unpickler} that resolves Python globals against an allow-list only.
 *
 * <p>Allowed: {@code collections.OrderedDict}, {@code builtins.set}, {@code torch.device} (becomes a
 * string), the {@code torch.*Storage} types,
 * {@code torch._utils._rebuild_tensor_v2}, {@code _rebuild_parameter(_with_state)}, and classes (names
 * starting with an upper-case letter) of {@code torch.nn.modules.*}, {@code torch.nn.parallel.*} and
 * {@code torchvision.models.*}, which become inert {@link PyObject}s holding their {@code __dict__}.
 * Anything else, and the opcodes {@code INST}, {@code OBJ} and {@code EXT*} that bypass globals,
 * throw {@link UnsafePickleException} before any object is built.
 */
final class SafeUnpickler extends Unpickler {
  private static final short GLOBAL = 'c';
  private static final short STACK_GLOBAL = 0x93;
  private static final short INST = 'i';
  private static final short OBJ = 'o';
  private static final short EXT1 = 0x82;
  private static final short EXT2 = 0x83;
  private static final short EXT4 = 0x84;
  private static final short BUILD = 'b';
  private static final short EMPTY_DICT = '}';
  private static final short DICT = 'd';
  private static final short SETITEM = 's';
  private static final short SETITEMS = 'u';
  private static final short EMPTY_SET = 0x8f;
  private static final short ADDITEMS = 0x90;
  private static final short FROZENSET = 0x91;
  private static final short EMPTY_LIST = ']';
  private static final short LIST = 'l';
  private static final short EMPTY_TUPLE = ')';
  private static final short TUPLE = 't';
  private static final short TUPLE1 = 0x85;
  private static final short TUPLE2 = 0x86;
  private static final short TUPLE3 = 0x87;
  private static final short BINSTRING = 'T';
  private static final short BINBYTES = 'B';
  private static final short BINUNICODE = 'X';
  private static final short LONG4 = 0x8b;
  private static final short BINUNICODE8 = 0x8d;
  private static final short BINBYTES8 = 0x8e;
  private static final short BYTEARRAY8 = 0x96;

  /** Most bytes one pickle may span; a ResNet-50 state dict's pickle is about 30 KB, a whole module's 100 KB. */
  static final long MAX_PICKLE_BYTES = 64L << 20;
  /** Most bytes of one length-prefixed string, bytes or long value. */
  static final long MAX_ITEM_BYTES = 16L << 20;
  /** Most memo entries, containers (lists, dicts, tuples, sets) and stack entries one pickle may create. */
  static final int MAX_OBJECTS = 2_000_000;

  private static final List<String> MODULE_PACKAGES =
      List.of("torch.nn.modules.", "torch.nn.parallel.", "torchvision.models.");

  private final String source;
  private final Function<Object[], Object> persistentLoader;
  private UnsafePickleException refused;
  private int containers;

  SafeUnpickler(String source, Function<Object[], Object> persistentLoader) {
    this.source = source;
    this.persistentLoader = persistentLoader;
  }

  /**
   * Unpickles one object from the stream, reading no further than its STOP opcode and no more than
   * {@link #MAX_PICKLE_BYTES}; every failure, including a pickle that exceeds a bound, is an
   * {@link IOException} whose one-line message names the source.
   */
  Object loadSafely(InputStream in) throws IOException {
    try {
      return load(new LimitedInput(in, MAX_PICKLE_BYTES, source));
    } catch (PickleException | IllegalArgumentException | IllegalStateException | ClassCastException
        | ArithmeticException | IndexOutOfBoundsException e) {
      if (refused != null) {
        throw refused;
      }
      throw new IOException("Cannot unpickle " + source + ": " + e.getMessage(), e);
    } catch (IOException e) {
      if (refused != null) {
        throw refused;
      }
      throw e;
    } catch (StackOverflowError | OutOfMemoryError e) {
      throw new IOException("Cannot unpickle " + source + ": " + (e instanceof StackOverflowError
          ? "objects nested too deeply" : "it needs more memory than this JVM has (" + e.getMessage() + ")"));
    }
  }

  @Override
  protected Object dispatch(short key) throws PickleException, IOException {
    Object result = dispatchChecked(key);
    if (stack.size() > MAX_OBJECTS || memo.size() > MAX_OBJECTS || containers > MAX_OBJECTS) {
      throw new PickleException("more than " + MAX_OBJECTS + " objects (stack " + stack.size() + ", memo "
          + memo.size() + ", containers " + containers + "): not a checkpoint this loader reads");
    }
    return result;
  }

  private Object dispatchChecked(short key) throws PickleException, IOException {
    switch (key) {
      case EMPTY_LIST, LIST, EMPTY_TUPLE, TUPLE, TUPLE1, TUPLE2, TUPLE3, EMPTY_SET -> containers++;
      case BINSTRING, BINBYTES, BINUNICODE, LONG4 -> checkLength(4, key);
      case BINUNICODE8, BINBYTES8, BYTEARRAY8 -> checkLength(8, key);
      case ADDITEMS -> {
        List<Object> items = stack.pop_all_since_marker();
        items.forEach(this::requireHashable);
        if (!(stack.peek() instanceof java.util.Set<?>)) {
          throw new PickleException("ADDITEMS on " + describe(stack.peek()));
        }
        @SuppressWarnings("unchecked")
        java.util.Set<Object> set = (java.util.Set<Object>) stack.peek();
        set.addAll(items);
        return NO_RETURN_VALUE;
      }
      case FROZENSET -> {
        List<Object> items = stack.pop_all_since_marker();
        items.forEach(this::requireHashable);
        containers++;
        stack.add(new HashSet<>(items));
        return NO_RETURN_VALUE;
      }
      default -> { }
    }
    switch (key) {
      case GLOBAL -> {
        String module = PickleUtils.readline(input);
        String name = PickleUtils.readline(input);
        stack.add(resolve(module, name));
        return NO_RETURN_VALUE;
      }
      case STACK_GLOBAL -> {
        String name = String.valueOf(stack.pop());
        String module = String.valueOf(stack.pop());
        stack.add(resolve(module, name));
        return NO_RETURN_VALUE;
      }
      case INST, OBJ, EXT1, EXT2, EXT4 -> {
        throw refuse("opcode 0x" + Integer.toHexString(key) + " (class instantiation bypassing globals)");
      }
      case BUILD -> {
        Object state = stack.pop();
        Object target = stack.peek();
        if (target instanceof PyObject object) {
          object.setState(state);
        } else if (!(target instanceof Map<?, ?>)) {
          // OrderedDict gets attributes such as _metadata via BUILD: they carry no tensors.
          throw new PickleException("BUILD on unsupported object " + describe(target));
        }
        return NO_RETURN_VALUE;
      }
      case EMPTY_DICT -> {
        containers++;
        stack.add(new LinkedHashMap<Object, Object>());
        return NO_RETURN_VALUE;
      }
      case DICT -> {
        List<Object> items = stack.pop_all_since_marker();
        containers++;
        Map<Object, Object> map = new LinkedHashMap<>();
        for (int i = 0; i + 1 < items.size(); i += 2) {
          map.put(requireHashable(items.get(i)), items.get(i + 1));
        }
        stack.add(map);
        return NO_RETURN_VALUE;
      }
      case SETITEM -> {
        Object value = stack.pop();
        Object k = stack.pop();
        dictOnStack().put(requireHashable(k), value);
        return NO_RETURN_VALUE;
      }
      case SETITEMS -> {
        List<Object> items = stack.pop_all_since_marker();
        Map<Object, Object> dict = dictOnStack();
        for (int i = 0; i + 1 < items.size(); i += 2) {
          dict.put(requireHashable(items.get(i)), items.get(i + 1));
        }
        return NO_RETURN_VALUE;
      }
      default -> {
        return super.dispatch(key);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private Map<Object, Object> dictOnStack() {
    Object top = stack.peek();
    if (!(top instanceof Map<?, ?>)) {
      throw new PickleException("SETITEM(S) on " + describe(top));
    }
    return (Map<Object, Object>) top;
  }

  @Override
  protected Object persistentLoad(Object pid) {
    if (!(pid instanceof Object[] tuple)) {
      throw new PickleException("unsupported persistent id (" + describe(pid) + ")");
    }
    return persistentLoader.apply(tuple);
  }

  private PickleException refuse(String global) {
    refused = new UnsafePickleException(source, global);
    return new PickleException(refused.getMessage());
  }

  private IObjectConstructor resolve(String module, String name) {
    String global = module + "." + name;
    switch (global) {
      case "collections.OrderedDict":
        return args -> {
          Map<Object, Object> map = new LinkedHashMap<>();
          if (args.length > 0 && args[0] instanceof List<?> pairs) {
            for (Object pair : pairs) {
              if (!(pair instanceof Object[] kv) || kv.length != 2) {
                throw new PickleException("OrderedDict expects (key, value) pairs, got " + describe(pair));
              }
              map.put(requireHashable(kv[0]), kv[1]);
            }
          }
          return map;
        };
      case "builtins.set":
      case "__builtin__.set":
        return args -> {
          if (args.length > 0 && args[0] instanceof List<?> list) {
            list.forEach(this::requireHashable);
            return new HashSet<>(list);
          }
          return new HashSet<>();
        };
      case "torch._utils._rebuild_tensor_v2":
        return SafeUnpickler::rebuildTensor;
      case "torch.device":
        // nn.DataParallel(device_ids=[0]) saved on a GPU keeps src_device_obj = torch.device('cuda', 0)
        return args -> "device(" + describe(args.length > 0 ? args[0] : null) + ")";
      case "torch._utils._rebuild_parameter":
      case "torch._utils._rebuild_parameter_with_state":
        return args -> args[0];
      default:
        break;
    }
    if (module.equals("torch") && name.endsWith("Storage")) {
      TorchDType dtype = TorchDType.ofStorageClass(name)
          .orElseThrow(() -> new PickleException("Unsupported storage type torch." + name + " in " + source));
      return new StorageType(dtype);
    }
    boolean moduleClass = MODULE_PACKAGES.stream().anyMatch(module::startsWith)
        && !name.isEmpty() && Character.isUpperCase(name.charAt(0));
    if (moduleClass) {
      return args -> new PyObject(global);
    }
    throw refuse(global);
  }

  private static Object rebuildTensor(Object[] args) {
    if (args.length < 4 || !(args[0] instanceof Storage storage)) {
      throw new PickleException("_rebuild_tensor_v2 expects (storage, offset, size, stride, ...)");
    }
    if (!(args[1] instanceof Number offset)) {
      throw new PickleException("_rebuild_tensor_v2 expects an int offset, got " + describe(args[1]));
    }
    return new TensorRef(storage, offset.longValue(), longs(args[2]), longs(args[3]));
  }

  private static long[] longs(Object tuple) {
    List<Object> values = new ArrayList<>();
    if (tuple instanceof Object[] array) {
      values.addAll(List.of(array));
    } else if (tuple instanceof List<?> list) {
      values.addAll(list);
    } else {
      throw new PickleException("expected a tuple of ints, got " + describe(tuple));
    }
    long[] out = new long[values.size()];
    for (int i = 0; i < out.length; i++) {
      if (!(values.get(i) instanceof Number n) || n instanceof Double || n instanceof Float) {
        throw new PickleException("expected a tuple of ints, found " + describe(values.get(i)));
      }
      out[i] = n.longValue();
    }
    return out;
  }

  /**
   * Refuses what Python could not use as a dict key or set element either (lists, dicts, sets): hashing
   * such a value in Java walks it, and a memoised list nested 60 times is 2^60 elements to walk.
   */
  private Object requireHashable(Object key) {
    if (key == null || key instanceof String || key instanceof Number || key instanceof Boolean
        || key instanceof Object[] || key instanceof PyObject || key instanceof byte[]) {
      return key;
    }
    throw new PickleException("unhashable value (" + describe(key) + ") used as a dict key or set element");
  }

  /** Peeks at the length prefix of the next value and refuses it before anything is allocated. */
  private void checkLength(int width, short key) throws IOException {
    input.mark(width);
    byte[] raw = input.readNBytes(width);
    input.reset();
    if (raw.length < width) {
      return; // the stock reader reports the truncation
    }
    long length = 0;
    for (int i = width - 1; i >= 0; i--) {
      length = (length << 8) | (raw[i] & 0xff);
    }
    if (length < 0 || length > MAX_ITEM_BYTES) {
      throw new PickleException("opcode 0x" + Integer.toHexString(key) + " declares a value of " + length
          + " bytes (limit " + MAX_ITEM_BYTES + ")");
    }
  }

  /** A short description of a pickled value for messages: its type and size, never its whole contents. */
  static String describe(Object value) {
    if (value == null) {
      return "None";
    }
    if (value instanceof String str) {
      return str.length() <= 40 ? "'" + str + "'" : "a string of " + str.length() + " characters";
    }
    if (value instanceof Number || value instanceof Boolean) {
      return String.valueOf(value);
    }
    if (value instanceof Object[] tuple) {
      return "a tuple of " + tuple.length;
    }
    if (value instanceof java.util.Collection<?> c) {
      return "a " + (c instanceof List<?> ? "list" : "set") + " of " + c.size();
    }
    if (value instanceof Map<?, ?> map) {
      return "a dict of " + map.size();
    }
    if (value instanceof PyObject object) {
      return "a " + object.className;
    }
    return "a " + value.getClass().getSimpleName();
  }

  /**
   * The pickle's byte budget: reads past {@code limit} bytes fail with an {@link IOException}; mark and
   * reset pass through to the underlying (buffered) stream and keep the count right.
   */
  private static final class LimitedInput extends java.io.FilterInputStream {
    private final long limit;
    private final String source;
    private long position;
    private long marked;

    LimitedInput(InputStream in, long limit, String source) {
      super(in);
      this.limit = limit;
      this.source = source;
    }

    @Override
    public int read() throws IOException {
      check(1);
      int b = super.read();
      if (b >= 0) {
        position++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      check(1);
      int n = super.read(b, off, (int) Math.min(len, limit - position));
      if (n > 0) {
        position += n;
      }
      return n;
    }

    private void check(long n) throws IOException {
      if (position + n > limit) {
        throw new IOException("Cannot unpickle " + source + ": its pickle is longer than " + limit
            + " bytes, the most this loader reads");
      }
    }

    @Override
    public synchronized void mark(int readlimit) {
      super.mark(readlimit);
      marked = position;
    }

    @Override
    public synchronized void reset() throws IOException {
      super.reset();
      position = marked;
    }

    @Override
    public void close() {
      // the caller owns the underlying stream
    }
  }

  /** The value a {@code torch.FloatStorage}-like global unpickles to: a dtype tag, never constructed. */
  record StorageType(TorchDType dtype) implements IObjectConstructor {
    @Override
    public Object construct(Object[] args) {
      throw new PickleException("torch." + dtype.storageClass + " cannot be constructed directly");
    }
  }
}
