"""The commands that make styles, segmenters and pictures: `realtime train style|segmentation`,
`realtime export` and `realtime paint`. Their options are read here without torch; each handler
imports what it runs."""
from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from realtime.cli.values import OneLineErrorParser, settings_from
from realtime.errors import UserError
from realtime.settings import (
    DEVICES,
    MODELS,
    SEGMENTER_MODELS,
    TRAIN_LAYERS,
    TRAINING_RECIPES,
    PaintConfig,
    SegmentationTrainConfig,
    TrainConfig,
)
from realtime.values import MODELS_HELP, non_negative_int, positive_int, unit_interval

TRAIN_KINDS = ("style", "segmentation")  # `realtime train --style-image ...` means `realtime train style ...`


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    kinds = parser.add_subparsers(dest="train_kind", metavar="KIND", parser_class=OneLineErrorParser)
    style = kinds.add_parser("style", help="a style network from a painting (the default)")
    add_style_train_arguments(style)
    style.set_defaults(handler=command_train)
    segmentation = kinds.add_parser(
        "segmentation", help="fine-tune the person segmenter on your own pictures (images/ and masks/)")
    add_segmentation_train_arguments(segmentation)
    segmentation.set_defaults(handler=command_train_segmentation)


def add_style_train_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = TrainConfig(style_image=Path(), name="", data=Path())
    parser.add_argument("--style-image", type=Path, help="the painting to learn (or --teacher)")
    parser.add_argument("--name", required=True, help="style name: saved as NAME.MODEL.pt, where --style NAME finds it")
    parser.add_argument("--data", type=Path, required=True, help="folder of content photos")
    parser.add_argument("--model", default=defaults.model, choices=MODELS,
                        help=f"default: {defaults.model}; {MODELS_HELP} (the recipes below: magenta starts from "
                             "Magenta's network conditioned on the painting, the others from random weights)")
    parser.add_argument("--train-layers", default=defaults.train_layers, choices=TRAIN_LAYERS,
                        help="all weights, or only the instance norms' scales and shifts (default: all)")
    transfer, johnson = TRAINING_RECIPES["magenta"], TRAINING_RECIPES["johnson"]

    def by_model(key: str) -> str:
        return f"(default: {transfer[key]:g} for magenta, {johnson[key]:g} for the others)"

    parser.add_argument("--image-size", type=positive_int, help=f"training crop size in pixels {by_model('image_size')}")
    parser.add_argument("--style-size", type=positive_int, help=f"long side of the painting in pixels {by_model('style_size')}")
    parser.add_argument("--steps", type=positive_int, help=by_model("steps"))
    parser.add_argument("--batch-size", type=positive_int, default=defaults.batch_size)
    parser.add_argument("--lr", dest="learning_rate", metavar="LR", type=float, default=defaults.learning_rate, help="learning rate")
    parser.add_argument("--content-weight", type=float, help=by_model("content_weight"))
    parser.add_argument("--style-weight", type=float, help=by_model("style_weight"))
    parser.add_argument("--tv-weight", type=float, default=defaults.tv_weight)
    parser.add_argument("--temporal-weight", type=float, default=defaults.temporal_weight,
                        help="penalty for changing under small motions (0 turns it off)")
    parser.add_argument("--steady-steps", type=non_negative_int, default=None,
                        help="the last steps, which weigh the temporal term more and add camera noise (default: all of "
                             "--steps for magenta, a fifth for the others, none with --teacher; 0: none)")
    parser.add_argument("--steady-temporal-weight", type=float,
                        help=f"temporal weight in the steady steps {by_model('steady_temporal_weight')}")
    parser.add_argument("--temporal-noise", type=float, default=defaults.temporal_noise,
                        help="std of the noise added to the moved copy in the steady steps, pixels in 0..1 (0: none)")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed of the starting weights and the data order")
    parser.add_argument("--device", default=defaults.device, choices=DEVICES)
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    parser.add_argument("--checkpoints", type=Path, default=defaults.checkpoints, metavar="DIR",
                        help="where the finished style goes (default: your styles folder, $XDG_DATA_HOME/realtime/styles, "
                             "else ~/.local/share/realtime/styles; --style NAME looks there before the shipped styles)")
    parser.add_argument("--run-dir", type=Path, help="where previews, the loss log and resumable state go (default: runs/NAME-MODEL)")
    parser.add_argument("--preview-every", type=positive_int, default=defaults.preview_every)
    parser.add_argument("--init-from", metavar="NAME|PATH",
                        help="fine-tune this trained style (same model size) instead of starting from random weights")
    parser.add_argument("--teacher", metavar="NAME|PATH",
                        help="learn this trained style's look from its network instead of from a painting (distillation; "
                             "usually --model fast from the lite style)")
    parser.add_argument("--resume", nargs="?", const=True, default=False, type=Path, metavar="STATE",
                        help="continue the steps, optimizer and schedule from a saved state.pt "
                             "(default: the run directory's, if there is one)")
    parser.add_argument("--no-mixed-precision", dest="mixed_precision", action="store_false",
                        help="train in fp32 (default: fp16 on CUDA, bf16 on CPUs with native bf16)")
    parser.add_argument("--title", default="", help="painting title, for the metadata")
    parser.add_argument("--artist", default="", help="painter, for the metadata")
    parser.add_argument("--year", default="", help="year of the painting, for the metadata")


def command_train(args: argparse.Namespace) -> None:
    from realtime.styles.packs import style_file
    from realtime.styles.registry import PACK_MODEL, StyleRegistry
    from realtime.train import train

    painting = {k: v for k, v in (("title", args.title), ("artist", args.artist), ("year", args.year)) if v}
    if (args.style_image is None) == (args.teacher is None):
        raise UserError("train needs --style-image PAINTING or --teacher STYLE (one of them)")
    registry = StyleRegistry()
    config = settings_from(TrainConfig, args, init_from=None, teacher=None, save_every=args.preview_every, painting=painting)
    run_dir = config.resolved_run_dir()
    run_dir.mkdir(parents=True, exist_ok=True)
    init_from = style_file(registry, args.init_from, args.model, run_dir) if args.init_from else None
    # A smaller network learns from a style's lite network; a pack's network from the style's own slot.
    teacher_model = PACK_MODEL if args.model == PACK_MODEL else "lite"
    teacher = style_file(registry, args.teacher, teacher_model, run_dir) if args.teacher else None
    path = train(replace(config, init_from=init_from, teacher=teacher))
    print(f"saved {path}; run it with --style {path if args.checkpoints else args.name}")


def add_segmentation_train_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = SegmentationTrainConfig(data=Path())
    parser.add_argument("--data", type=Path, required=True, metavar="DIR",
                        help="pictures in DIR/images/ and their person masks, same name and size, in DIR/masks/ (PNG)")
    parser.add_argument("--model", default=defaults.model, choices=SEGMENTER_MODELS,
                        help="which shipped segmenter to fine-tune: general (256x256 input) or landscape (144x256, "
                             "for wide frames) (default: general)")
    parser.add_argument("--init-from", type=Path, metavar="PATH", help="fine-tune this saved segmenter instead")
    parser.add_argument("--output", type=Path, metavar="FILE.pt", help="the best epoch's segmenter (default: RUN_DIR/segmenter.pt)")
    parser.add_argument("--run-dir", type=Path, help="where the resumable state goes (default: runs/segmentation-MODEL)")
    parser.add_argument("--epochs", type=positive_int, default=defaults.epochs, help="passes over the pictures, the frozen ones included")
    parser.add_argument("--frozen-epochs", type=non_negative_int, default=defaults.frozen_epochs,
                        help="first epochs in which only the decoder learns (the pretrained encoder stays frozen)")
    parser.add_argument("--batch-size", type=positive_int, default=defaults.batch_size)
    parser.add_argument("--lr", dest="learning_rate", metavar="LR", type=float, default=defaults.learning_rate,
                        help="the decoder's learning rate")
    parser.add_argument("--encoder-lr-scale", type=float, default=defaults.encoder_lr_scale,
                        help="the encoder's learning rate as a share of --lr, once it is unfrozen")
    parser.add_argument("--dice-weight", type=float, default=defaults.dice_weight, help="loss = BCE + this x (1 - Dice)")
    parser.add_argument("--keep-weight", type=float, default=defaults.keep_weight,
                        help="adds this x BCE against the starting network's own masks, so that it keeps what "
                             "it knew beyond these pictures (0: off)")
    parser.add_argument("--validation-fraction", type=unit_interval, default=defaults.validation_fraction,
                        help="share of the pairs held out and scored after each epoch")
    parser.add_argument("--backgrounds", type=Path, metavar="DIR",
                        help="photos to put behind the person now and then, besides made-up backgrounds")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed of the split, the data order and the augmentation")
    parser.add_argument("--device", default=defaults.device, choices=DEVICES)
    parser.add_argument("--threads", type=non_negative_int, default=0, help="CPU threads (0: torch's default)")
    parser.add_argument("--resume", nargs="?", const=True, default=False, type=Path, metavar="STATE",
                        help="continue from a saved state.pt (default: the run directory's, if there is one)")


def command_train_segmentation(args: argparse.Namespace) -> None:
    from realtime.train_segmentation import train_segmentation

    path = train_segmentation(settings_from(SegmentationTrainConfig, args))
    print(f"saved {path}; run it with --segmenter {path}")


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--style", required=True, metavar="NAME|PATH")
    parser.add_argument("--model", default=MODELS[0], choices=MODELS,
                        help=f"which of the style's networks (default: {MODELS[0]})")
    parser.add_argument("--output", type=Path, required=True, metavar="FILE.ts|FILE.onnx")
    parser.add_argument("--format", choices=("torchscript", "onnx"),
                        help="default: from the output's extension (.onnx: ONNX, else TorchScript)")
    parser.add_argument("--half", action="store_true", help="fp16 weights (for GPUs; TorchScript only)")


def command_export(args: argparse.Namespace) -> None:
    from realtime.export import export_onnx, export_torchscript
    from realtime.io.outputs import check_output_folder
    from realtime.styles.registry import StyleRegistry

    export_format = args.format or ("onnx" if args.output.suffix.lower() == ".onnx" else "torchscript")
    suffix = ".onnx" if export_format == "onnx" else ".ts"
    check_output_folder(args.output, f"{Path(args.style).stem}{suffix}")
    if args.output.suffix.lower() != suffix:  # a .ts is what --style takes as TorchScript
        raise UserError(f"--output {args.output.name}: name a {export_format} file {args.output.stem}{suffix}")
    if export_format == "onnx":
        if args.half:
            raise UserError("--half is for TorchScript files; ONNX tools choose their own precision")
        path = export_onnx(StyleRegistry(), args.style, args.model, args.output)
    else:
        path = export_torchscript(StyleRegistry(), args.style, args.model, args.output, args.half)
    print(f"wrote {path}")


def add_paint_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = PaintConfig(content=Path(), style=Path())
    parser.add_argument("--content", type=Path, required=True, metavar="PHOTO", help="the photo to paint")
    parser.add_argument("--style", type=Path, required=True, metavar="IMAGE", help="any picture as the style")
    parser.add_argument("--output", type=Path, required=True, metavar="OUT.png")
    parser.add_argument("--size", type=positive_int, default=defaults.size, help="long side of the result in pixels")
    parser.add_argument("--steps", type=positive_int, default=defaults.steps, help="L-BFGS budget in loss evaluations")
    parser.add_argument("--init", default=defaults.init, choices=("content", "noise"), help="start from the photo or from noise")
    parser.add_argument("--keep-colors", action="store_true", help="keep the photo's colours")
    parser.add_argument("--content-weight", type=float, default=defaults.content_weight)
    parser.add_argument("--style-weight", type=float, default=defaults.style_weight)
    parser.add_argument("--tv-weight", type=float, default=defaults.tv_weight)
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed of the noise start")
    parser.add_argument("--threads", type=non_negative_int, default=0, help="CPU threads (0: torch's default)")


def command_paint(args: argparse.Namespace) -> None:
    from realtime.io.images import write_image
    from realtime.io.outputs import check_output_folder, check_output_path, check_writable, is_image_path
    from realtime.paint import paint

    check_output_folder(args.output, "painted.png")  # first: a folder is not "not an image"
    if not is_image_path(args.output):
        raise UserError(f"--output {args.output.name}: paint writes an image (.png or .jpg)")
    check_output_path(args.output, None)
    check_writable(args.output)
    painting = paint(settings_from(PaintConfig, args))
    write_image(args.output, painting.image)
    print(f"wrote {args.output} ({painting.seconds:.0f} s, loss {painting.losses[0]:.3f} -> {painting.losses[-1]:.3f})")
