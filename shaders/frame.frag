#version 330 core
// The stylized frame, crossfading from the last frame of the previous style.
uniform sampler2D current_frame;
uniform sampler2D previous_frame;
uniform float fade;  // 0 = previous style only, 1 = current style only
in vec2 uv;
out vec4 color;

void main() {
    vec3 now = texture(current_frame, uv).rgb;
    vec3 before = texture(previous_frame, uv).rgb;
    color = vec4(mix(before, now, smoothstep(0.0, 1.0, fade)), 1.0);
}
