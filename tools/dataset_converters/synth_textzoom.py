"""Generate a small synthetic dataset in the TextZoom LMDB layout
(``train1``, ``train2``, ``test/{easy,medium,hard}``); the generator is
:func:`stisr_mmocr.datasets.synth_textzoom.generate_textzoom`.

Usage::

    python tools/dataset_converters/synth_textzoom.py OUT_DIR \
        [--num-train 2000] [--num-test 300] [--words FILE] \
        [--font-dir DIR] [--seed 0] [--workers 0]
"""
import argparse

from stisr_mmocr.datasets.synth_textzoom import generate_textzoom


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate a synthetic dataset in the TextZoom LMDB '
        'layout (train1, train2, test/easy, test/medium, test/hard).')
    parser.add_argument('out_dir', help='output root directory')
    parser.add_argument(
        '--num-train',
        type=int,
        default=2000,
        help='training samples, split between train1 and train2')
    parser.add_argument(
        '--num-test', type=int, default=300, help='samples per test subset')
    parser.add_argument(
        '--words',
        help='word-list file, one word per line (default: '
        'a built-in list)')
    parser.add_argument(
        '--font-dir',
        help='directory of *.ttf/*.otf fonts (default: Pillow\'s built-in '
        'font)')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--workers',
        type=int,
        default=0,
        help='worker processes (0: render in the main process)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    written = generate_textzoom(args.out_dir, args.num_train, args.num_test,
                                args.words, args.font_dir, args.seed,
                                args.workers)
    for name, info in written.items():
        print(f'{name}: {info["num_samples"]} samples -> {info["path"]}')


if __name__ == '__main__':
    main()
