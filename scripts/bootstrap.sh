#!/usr/bin/env bash
# Idempotent set-up of everything fundus4j needs on a Debian 12 machine:
# Debian packages (PixelMed, dcmtk, dicom3tools, Orthanc, PyTorch, R pROC, ...) and
# PixelMed's jars installed into the local Maven repository under fixed coordinates.
# Safe to run again: it skips what is already there.
#   scripts/bootstrap.sh            everything: what ./fundus needs plus the tests' reference tools and peers
#   scripts/bootstrap.sh --runtime  only what ./fundus needs to run (used by the launcher)
set -euo pipefail
MODE=all; QUIET=0
for arg in "$@"; do
  case "$arg" in
    --runtime) MODE=runtime; QUIET=1 ;;
    --quiet) QUIET=1 ;;
    *) echo "bootstrap: unknown option $arg" >&2; exit 2 ;;
  esac
done

RUNTIME_PACKAGES=(
  libpixelmed-java libpixelmed-imageio-java   # DICOM library (dcm4che is not on Maven Central)
  unzip python3                               # bootstrap rewrites and compares jar manifests
)
TEST_PACKAGES=(
  dcmtk dicom3tools                           # third-party DICOM writers/clients; dciodvfy validator
  orthanc orthanc-dicomweb                    # the PACS used by integration tests (loopback only)
  python3-torch python3-torchvision python3-numpy python3-sklearn python3-pydicom python3-onnx
  python3-opencv                              # reference CLAHE for datavec-pipelines tests
  r-cran-proc                                 # DeLong reference
  chromium                                    # renders the HTML report in tests
  curl
)

PACKAGES=("${RUNTIME_PACKAGES[@]}")
[ "$MODE" = runtime ] || PACKAGES+=("${TEST_PACKAGES[@]}")
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's PixelMed jars name Debian's slf4j 1.7 + slf4j-jdk14 in their manifest Class-Path, which would
# override the project's logging binding wherever PixelMed is on the class path. Install copies without
# that header (the classes are byte-identical).
strip_class_path() { # in out
  /usr/bin/python3 - "$1" "$2" <<'PY'
import re, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
        data = zin.read(item.filename)
        if item.filename == "META-INF/MANIFEST.MF":
            text = data.decode("utf-8").replace("\r\n", "\n")
            text = re.sub(r"^Class-Path:.*(\n .*)*\n", "", text, flags=re.M)
            data = text.replace("\n", "\r\n").encode("utf-8")
        zout.writestr(item, data)
PY
}

install_jar() { # file artifactId version
  local file=$1 artifact=$2 version=$3
  local target="$HOME/.m2/repository/org/fundus4j/thirdparty/$artifact/$version/$artifact-$version.jar"
  local stripped; stripped=$(mktemp --suffix=.jar)
  strip_class_path "$file" "$stripped"
  if [ ! -f "$target" ] || ! cmp -s <(unzip -p "$stripped" META-INF/MANIFEST.MF) <(unzip -p "$target" META-INF/MANIFEST.MF 2>/dev/null) \
      || [ "$(unzip -l "$stripped" | tail -1)" != "$(unzip -l "$target" | tail -1)" ]; then
    echo "bootstrap: installing $file (manifest Class-Path removed) as org.fundus4j.thirdparty:$artifact:$version"
    mvn -q -B install:install-file -Dfile="$stripped" -DgroupId=org.fundus4j.thirdparty \
      -DartifactId="$artifact" -Dversion="$version" -Dpackaging=jar -DgeneratePom=true
  fi
  rm -f "$stripped"
}
install_jar /usr/share/java/pixelmed.jar pixelmed 20220618
install_jar /usr/share/java/pixelmed_imageio.jar pixelmed-imageio 20200328
[ "$QUIET" = 1 ] || echo "bootstrap: ok"
