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

  private static final List<String> MODULE_PACKAGES =
      List.of("torch.nn.modules.", "torch.nn.parallel.", "torchvision.models.");

  private final String source;
  private final Function<Object[], Object> persistentLoader;
  private UnsafePickleException refused;

  SafeUnpickler(String source, Function<Object[], Object> persistentLoader) {
    this.source = source;
    this.persistentLoader = persistentLoader;
  }

  /** Unpickles one object from the stream, reading no further than its STOP opcode. */
  Object loadSafely(InputStream in) throws IOException {
    try {
      return load(in);
    } catch (PickleException e) {
      if (refused != null) {
        throw refused;
      }
      throw new IOException("Cannot unpickle " + source + ": " + e.getMessage(), e);
    } catch (IOException e) {
      if (refused != null) {
        throw refused;
      }
      throw e;
    }
  }

  @Override
  protected Object dispatch(short key) throws PickleException, IOException {
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
          throw new PickleException("BUILD on unsupported object " + target.getClass().getSimpleName());
        }
        return NO_RETURN_VALUE;
      }
      case EMPTY_DICT -> {
        stack.add(new LinkedHashMap<Object, Object>());
        return NO_RETURN_VALUE;
      }
      case DICT -> {
        List<Object> items = stack.pop_all_since_marker();
        Map<Object, Object> map = new LinkedHashMap<>();
        for (int i = 0; i + 1 < items.size(); i += 2) {
          map.put(items.get(i), items.get(i + 1));
        }
        stack.add(map);
        return NO_RETURN_VALUE;
      }
      case SETITEM -> {
        Object value = stack.pop();
        Object k = stack.pop();
        dictOnStack().put(k, value);
        return NO_RETURN_VALUE;
      }
      case SETITEMS -> {
        List<Object> items = stack.pop_all_since_marker();
        Map<Object, Object> dict = dictOnStack();
        for (int i = 0; i + 1 < items.size(); i += 2) {
          dict.put(items.get(i), items.get(i + 1));
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
      throw new PickleException("SETITEM(S) on " + (top == null ? "None" : top.getClass().getSimpleName())
          + " in " + source);
    }
    return (Map<Object, Object>) top;
  }

  @Override
  protected Object persistentLoad(Object pid) {
    if (!(pid instanceof Object[] tuple)) {
      throw new PickleException("Unsupported persistent id " + pid + " in " + source);
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
              Object[] kv = (Object[]) pair;
              map.put(kv[0], kv[1]);
            }
          }
          return map;
        };
      case "builtins.set":
      case "__builtin__.set":
        return args -> args.length > 0 && args[0] instanceof List<?> list ? new HashSet<>(list) : new HashSet<>();
      case "torch._utils._rebuild_tensor_v2":
        return SafeUnpickler::rebuildTensor;
      case "torch.device":
        // nn.DataParallel(device_ids=[0]) saved on a GPU keeps src_device_obj = torch.device('cuda', 0)
        return args -> "device" + java.util.Arrays.toString(args);
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
    return new TensorRef(storage, ((Number) args[1]).longValue(), longs(args[2]), longs(args[3]));
  }

  private static long[] longs(Object tuple) {
    List<Object> values = new ArrayList<>();
    if (tuple instanceof Object[] array) {
      values.addAll(List.of(array));
    } else if (tuple instanceof List<?> list) {
      values.addAll(list);
    } else {
      throw new PickleException("Expected a tuple of ints, got " + tuple);
    }
    long[] out = new long[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) values.get(i)).longValue();
    }
    return out;
  }

  /** The value a {@code torch.FloatStorage}-like global unpickles to: a dtype tag, never constructed. */
  record StorageType(TorchDType dtype) implements IObjectConstructor {
    @Override
    public Object construct(Object[] args) {
      throw new PickleException("torch." + dtype.storageClass + " cannot be constructed directly");
    }
  }
}
