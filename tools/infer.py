"""Super-resolve (and, with a cascade config, read) a folder of text crops.

Usage:
    python tools/infer.py INPUTS CONFIG [--weights CKPT] [--out-dir DIR]
        [--batch-size 8] [--device cpu] [--lr-hw H W] [--no-vis]

INPUTS is an image file or a folder. Writes DIR/sr/*.png, DIR/vis/*.png and
DIR/results.json; unreadable files are listed by name and skipped.
"""
import argparse

from stisr_mmocr.apis import TextSRInferencer


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('inputs', help='an image file or a folder of crops')
    parser.add_argument('config', help='SR model or cascade config file')
    parser.add_argument('--weights', help='checkpoint of the whole model')
    parser.add_argument('--out-dir', default='results/', help='output folder')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--device', help='e.g. cpu or cuda:0')
    parser.add_argument(
        '--lr-hw',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help='LR input height and width (default: from the config)')
    parser.add_argument(
        '--no-vis', action='store_true', help='do not write pictures')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    inferencer = TextSRInferencer(
        args.config,
        weights=args.weights,
        device=args.device,
        lr_hw=tuple(args.lr_hw) if args.lr_hw else None)
    results = inferencer(
        args.inputs,
        batch_size=args.batch_size,
        out_dir=args.out_dir,
        save_vis=not args.no_vis)
    failed = results['failed']
    print(f"processed {len(results['predictions'])}, skipped {len(failed)}")
    for item in failed:
        print(f"  skipped {item['input']}: {item['error']}")
    print(f'results in {args.out_dir}')


if __name__ == '__main__':
    main()
