"""OpenCV's own CLAHE, the reference for org.fundus4j.pipelines.augment.Clahe.

usage: /usr/bin/python3 clahe_reference.py IN.png OUT_COLOR.png OUT_GRAY.png CLIP_LIMIT TILES

OUT_COLOR: CLAHE on the L channel of CIE L*a*b* (cv2.COLOR_BGR2LAB), converted back to BGR.
OUT_GRAY:  CLAHE on the grey image cv2.COLOR_BGR2GRAY.
"""
import sys

import cv2

src, out_color, out_gray, clip, tiles = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
img = cv2.imread(src, cv2.IMREAD_COLOR)  # BGR, 8-bit
clahe = cv2.createCLAHE(clipLimit=clip, tileGridSize=(tiles, tiles))
lab = cv2.cvtColor(img, cv2.COLOR_BGR2LAB)
lab[..., 0] = clahe.apply(lab[..., 0])
cv2.imwrite(out_color, cv2.cvtColor(lab, cv2.COLOR_LAB2BGR))
cv2.imwrite(out_gray, clahe.apply(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)))
print(cv2.__version__)
