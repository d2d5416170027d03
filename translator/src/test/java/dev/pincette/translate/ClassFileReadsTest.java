package dev.pincette.translate;

import static java.lang.constant.ConstantDescs.CD_float;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_void;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.AccessFlag;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A translation reads and parses each class file once, however many of its methods the kernel calls. */
class ClassFileReadsTest {
  private static final String NAME = "dev.pincette.translate.generated.Helpers";

  /** {@code kernel(i, y) { y[i] = h(i) + h(i + 1) + g(i); }}, {@code g(i) { return h(i) * 2; }}. */
  private static byte[] helpers() {
    ClassDesc self = ClassDesc.of(NAME);
    MethodTypeDesc helper = MethodTypeDesc.of(CD_float, CD_int);
    return ClassFile.of().build(self, cb -> {
      cb.withFlags(AccessFlag.PUBLIC, AccessFlag.FINAL);
      cb.withMethodBody("h", helper, ClassFile.ACC_STATIC, c -> c.iload(0).i2f().freturn());
      cb.withMethodBody("g", helper, ClassFile.ACC_STATIC,
          c -> c.iload(0).invokestatic(self, "h", helper).fconst_2().fmul().freturn());
      cb.withMethodBody("kernel", MethodTypeDesc.of(CD_void, CD_int, CD_float.arrayType()), ClassFile.ACC_STATIC,
          c -> c.aload(1).iload(0).iload(0).invokestatic(self, "h", helper).iload(0).iconst_1().iadd()
              .invokestatic(self, "h", helper).fadd().iload(0).invokestatic(self, "g", helper).fadd().fastore()
              .return_());
    });
  }

  @Test
  void eachClassFileIsReadOncePerTranslation() throws Exception {
    byte[] bytes = helpers();
    AtomicInteger reads = new AtomicInteger();
    ClassLoader loader = new ClassLoader(ClassFileReadsTest.class.getClassLoader()) {
      private final Class<?> defined = defineClass(NAME, bytes, 0, bytes.length);

      @Override
      protected Class<?> findClass(String n) throws ClassNotFoundException {
        if (n.equals(NAME)) return defined;
        throw new ClassNotFoundException(n);
      }

      @Override
      public InputStream getResourceAsStream(String resource) {
        if (!resource.equals(NAME.replace('.', '/') + ".class")) return super.getResourceAsStream(resource);
        reads.incrementAndGet();
        return new ByteArrayInputStream(bytes);
      }
    };
    Class<?> helpers = loader.loadClass(NAME);
    KernelModel model = KernelTranslator.translateUncached(helpers, "kernel", MethodTypeDesc.of(CD_void, CD_int,
        CD_float.arrayType()));
    assertEquals(3, model.methods().size(), "kernel, h and g, each once: " + model.methods());
    assertEquals(1, reads.get());
  }
}
