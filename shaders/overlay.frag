#version 330 core
// HUD and key list: an RGBA image blended over the frame.
uniform sampler2D overlay;
in vec2 uv;
out vec4 color;

void main() {
    color = texture(overlay, uv);
}
